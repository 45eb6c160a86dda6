"use strict";
/*
 * Labeling config editor: every pause in typing re-validates the text on the server
 * (POST .../config/validate, which never stores) and lists each error with its line; a valid
 * config is previewed as the labels and choices annotators will see. Save (PUT .../config) stays
 * disabled while errors remain, and shows the server's errors if it refuses anyway.
 */
(() => {
  const root = document.getElementById("config-tab");
  if (!root) return;
  const { h } = annolab;
  const project = JSON.parse(document.getElementById("setup-data").textContent).project;
  const editor = document.getElementById("config-text");
  const saveButton = document.getElementById("config-save");
  const saveStatus = document.getElementById("config-save-status");
  const saveErrors = document.getElementById("config-save-errors");
  const errorList = document.getElementById("config-errors");
  const state = document.getElementById("config-state");
  const preview = document.getElementById("config-preview");
  const DEBOUNCE_MS = 400;

  let timer = null;
  let sequence = 0; // answers can arrive out of order; only the newest request's answer counts
  let savedText = editor.value;

  function setState(text, kind) {
    state.textContent = text;
    state.className = `badge ${kind}`;
  }

  function goToLine(line) {
    const lines = editor.value.split("\n");
    const start = lines.slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0);
    editor.focus();
    editor.setSelectionRange(start, start + (lines[line - 1] || "").length);
    // Scroll the line into view: the textarea has a fixed line height.
    const lineHeight = parseFloat(getComputedStyle(editor).lineHeight) || 18;
    editor.scrollTop = Math.max(0, (line - 3) * lineHeight);
  }

  function renderErrors(list, errors) {
    list.replaceChildren(
      ...errors.map((error) =>
        h("li", { class: "error", "data-line": error.line ?? "" },
          error.line
            ? h("button", { type: "button", class: "link line", onclick: () => goToLine(error.line) }, `Line ${error.line}`)
            : null,
          error.line ? ": " : "",
          error.message)
      )
    );
  }

  // A preview of what annotators get, drawn from the XML itself (Label Studio draws the real one).
  function renderPreview(xml) {
    preview.replaceChildren();
    if (!xml.trim()) {
      preview.append(h("p", { class: "empty" }, "The config is empty: add a <View> with a <Text> and <Labels> or <Choices>."));
      return;
    }
    const doc = new DOMParser().parseFromString(xml, "application/xml");
    if (doc.querySelector("parsererror")) return;
    const blocks = [];
    for (const node of doc.documentElement.querySelectorAll("*")) {
      const tag = node.tagName;
      if (tag === "Header") {
        blocks.push(h("h3", { class: "preview-header" }, node.getAttribute("value") || ""));
      } else if (tag === "Text" || tag === "HyperText") {
        blocks.push(h("div", { class: "preview-text" }, `${tag} "${node.getAttribute("name")}" shows `,
          h("code", {}, node.getAttribute("value") || "")));
      } else if (tag === "Labels") {
        const labels = Array.from(node.querySelectorAll("Label")).map((label) =>
          h("span", {
            class: "chip",
            style: label.getAttribute("background") ? `border-color: ${label.getAttribute("background")}` : null,
            title: label.getAttribute("model") ? `predicted by ${label.getAttribute("model")}` : null,
          },
          label.getAttribute("value"),
          label.getAttribute("assertion") === "true" ? h("small", { class: "tag" }, "assertion") : null,
          label.getAttribute("model") ? h("small", { class: "model" }, label.getAttribute("model")) : null)
        );
        blocks.push(h("div", { class: "preview-group" },
          h("div", { class: "group-title" }, `Labels "${node.getAttribute("name")}" on ${node.getAttribute("toName")}`),
          h("div", { class: "chips" }, labels)));
      } else if (tag === "Choices") {
        const multiple = node.getAttribute("choice") === "multiple";
        const group = node.getAttribute("name");
        const choices = Array.from(node.querySelectorAll("Choice")).map((choice) =>
          h("label", { class: "choice" },
            h("input", { type: multiple ? "checkbox" : "radio", name: `preview-${group}`, disabled: true }),
            " ", choice.getAttribute("value"))
        );
        blocks.push(h("div", { class: "preview-group" },
          h("div", { class: "group-title" },
            `Choices "${group}" (${multiple ? "several" : "one"})`,
            node.getAttribute("train") === "true" ? h("small", { class: "tag" }, "trained") : null,
            node.getAttribute("model") ? h("small", { class: "model" }, node.getAttribute("model")) : null),
          h("div", { class: "choices" }, choices)));
      }
    }
    preview.append(...blocks);
  }

  async function validate() {
    const mine = ++sequence;
    const text = editor.value;
    try {
      const answer = await annolab.post(annolab.projectUrl(project, "config/validate"), { labeling_config: text });
      if (mine !== sequence) return;
      renderErrors(errorList, answer.errors);
      if (answer.valid) {
        setState("valid", "ok");
        renderPreview(text);
      } else {
        const count = answer.errors.length;
        setState(`${count} error${count === 1 ? "" : "s"}`, "bad");
        preview.replaceChildren();
      }
      saveButton.disabled = !answer.valid || text === savedText;
    } catch (failure) {
      if (mine !== sequence) return;
      setState("not checked", "bad");
      renderErrors(errorList, [{ message: annolab.describe(failure) }]);
      saveButton.disabled = true;
    }
  }

  editor.addEventListener("input", () => {
    saveButton.disabled = true;
    saveStatus.textContent = "";
    setState("checking…", "pending");
    clearTimeout(timer);
    timer = setTimeout(validate, DEBOUNCE_MS);
  });

  // Tab indents instead of leaving the editor.
  editor.addEventListener("keydown", (event) => {
    if (event.key !== "Tab" || event.shiftKey) return;
    event.preventDefault();
    editor.setRangeText("  ", editor.selectionStart, editor.selectionEnd, "end");
    editor.dispatchEvent(new Event("input"));
  });

  saveButton.addEventListener("click", async () => {
    saveButton.disabled = true;
    saveStatus.textContent = "Saving…";
    saveStatus.className = "message";
    saveErrors.replaceChildren();
    const text = editor.value;
    try {
      await annolab.put(annolab.projectUrl(project, "config"), { labeling_config: text });
      savedText = text;
      saveStatus.textContent = "Saved.";
      saveStatus.className = "message ok";
    } catch (failure) {
      saveStatus.textContent = annolab.describe(failure);
      saveStatus.className = "message error";
      renderErrors(saveErrors, failure.errors || []);
      saveButton.disabled = false;
    }
  });

  validate();
})();
