"use strict";
/*
 * Model Training tab, "Deployments" card: every deployment of the project (who, when, what made
 * it, which tags changed model) with a Restore button that binds a record's models again
 * (POST .../deployments/{id}/restore, itself a new record). Reads the REST API only.
 */
(() => {
  const card = document.getElementById("deployments-card");
  if (!card) return;
  const { h } = annolab;
  const project = JSON.parse(document.getElementById("setup-data").textContent).project;
  const url = {
    list: annolab.projectUrl(project, "deployments/"),
    restore: (id) => annolab.projectUrl(project, `deployments/${id}/restore`),
  };
  // A run that deploys adds a record without this page doing anything: look again now and then.
  const REFRESH_MS = 15000;
  const TRIGGERS = { manual: "manual", active_learning: "active learning", restore: "restore" };
  const body = card.querySelector("tbody");
  const error = card.querySelector("[data-role=error]");
  const dialog = document.getElementById("restore-dialog");

  const modelName = (name) => (name === null || name === undefined ? "none" : name);

  function showError(message) {
    error.textContent = message || "";
    error.hidden = !message;
  }

  /** "Disease: ner_v1 → ner_v2", one line per changed tag; a record that changed nothing says so. */
  function changesCell(record) {
    if (!record.changes.length) return h("td", { class: "hint" }, "no change (already bound)");
    return h("td", {},
      h("ul", { class: "changes" },
        ...record.changes.map((change) =>
          h("li", { "data-tag": change.tag },
            h("span", { class: "tag-name" }, change.tag), ": ",
            modelName(change.before), " → ", modelName(change.after)))));
  }

  function triggerText(record) {
    const name = TRIGGERS[record.trigger] || record.trigger;
    return record.restored_from ? `${name} of #${record.restored_from}` : name;
  }

  function render(records) {
    if (!records.length) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: 5, class: "empty" }, "No deployment yet.")));
      return;
    }
    body.replaceChildren(
      ...records.map((record) =>
        h("tr", { "data-deployment": record.id },
          h("td", {}, annolab.formatDate(record.created_at)),
          h("td", {}, record.actor || (record.training_run ? `training run ${record.training_run}` : "—")),
          h("td", { "data-role": "trigger" }, triggerText(record)),
          changesCell(record),
          h("td", {},
            h("button", { type: "button", "data-role": "restore", onclick: () => restore(record) },
              "Restore"))))
    );
  }

  async function load() {
    try {
      render(await annolab.all(url.list));
    } catch (failure) {
      // Annotators and reviewers do not see the Model Training tab's history (403).
      if (failure instanceof annolab.ApiError && failure.status === 403) {
        card.hidden = true;
        return;
      }
      showError(annolab.describe(failure));
    }
  }

  function confirmRestore(record) {
    const bound = Object.entries(record.after).filter(([, name]) => name);
    dialog.querySelector("[data-role=summary]").textContent = bound.length
      ? `The labeling config will name ${bound.map(([tag, name]) => `${name} for ${tag}`).join(", ")}` +
        "; the tags it left without a model are unbound again."
      : "Every tag this deployment knew is unbound again.";
    return new Promise((resolve) => {
      const buttons = dialog.querySelectorAll("[data-choice]");
      function finish(choice) {
        buttons.forEach((button) => button.removeEventListener("click", onClick));
        dialog.removeEventListener("cancel", onCancel);
        dialog.close();
        resolve(choice === "restore");
      }
      function onClick(event) { finish(event.currentTarget.dataset.choice); }
      function onCancel(event) { event.preventDefault(); finish("cancel"); }
      buttons.forEach((button) => button.addEventListener("click", onClick));
      dialog.addEventListener("cancel", onCancel);
      dialog.showModal();
    });
  }

  async function restore(record) {
    if (!(await confirmRestore(record))) return;
    showError("");
    try {
      await annolab.post(url.restore(record.id));
    } catch (failure) {
      // A 400 names each model that cannot be bound again (after.<tag>): show them all.
      const messages = failure instanceof annolab.ApiError && failure.errors.length
        ? failure.errors.map((e) => e.message).join(" ")
        : annolab.describe(failure);
      showError(messages);
      return;
    }
    await load();
  }

  load();
  window.setInterval(() => { if (!document.hidden) load(); }, REFRESH_MS);
})();
