"use strict";
/*
 * Tasks page actions for owners and managers: pre-annotate the selected tasks, or every open
 * task when none is selected (POST .../preannotations/, then poll the job for its progress);
 * import a file (POST .../import); tag, untag and assign the selected tasks (PATCH each task,
 * api.md). Each reloads the list when done, so new predictions, tasks and tags show.
 */
(() => {
  const { h } = annolab;
  const project = JSON.parse(document.getElementById("tasks-project").textContent);
  const POLL_MS = 1000;
  const boxes = () => Array.from(document.querySelectorAll(".task-select"));
  const selectAll = document.getElementById("select-all");
  const button = document.getElementById("preannotate");
  const count = document.getElementById("preannotate-count");
  const bar = document.getElementById("preannotate-bar");
  const fill = bar.querySelector(".bar-fill");
  const message = document.getElementById("preannotate-message");

  function selectedIds() {
    return boxes().filter((box) => box.checked).map((box) => Number(box.value));
  }

  const editButtons = () => Array.from(document.querySelectorAll("#task-edit button"));
  const editMessage = document.getElementById("edit-message");

  function updateSelection() {
    const ids = selectedIds();
    button.disabled = false;
    count.textContent = ids.length ? `${ids.length} selected` : "every open task";
    editButtons().forEach((edit) => { edit.disabled = !ids.length; });
    if (selectAll) selectAll.checked = ids.length > 0 && ids.length === boxes().length;
  }

  function say(text, kind) {
    message.textContent = text;
    message.className = `message ${kind || ""}`;
  }

  async function follow(job) {
    bar.hidden = false;
    for (;;) {
      const progress = job.progress || { done: 0, total: 0 };
      fill.style.width = progress.total ? `${Math.round((100 * progress.done) / progress.total)}%` : "5%";
      if (job.status === "queued") say("Queued: waiting for a worker…");
      else if (job.status === "running") say(`Pre-annotating: ${progress.done}/${progress.total} tasks`);
      else break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      job = await annolab.get(annolab.projectUrl(project, `preannotations/${job.id}/`));
    }
    if (job.status === "succeeded") {
      say(`Pre-annotation finished: ${job.progress.done} tasks.`, "ok");
      window.location.reload();
    } else {
      say(`Pre-annotation ${job.status}: ${job.error || "no reason given"}`, "error");
      button.disabled = false;
    }
  }

  button.addEventListener("click", async () => {
    button.disabled = true;
    say("Starting…");
    try {
      const ids = selectedIds();
      // Nothing selected: the API's default, every task without a submitted completion.
      const job = await annolab.post(annolab.projectUrl(project, "preannotations/"), ids.length ? { task_ids: ids } : {});
      await follow(job);
    } catch (failure) {
      say(annolab.describe(failure), "error");
      bar.hidden = true;
      updateSelection();
    }
  });

  boxes().forEach((box) => box.addEventListener("change", updateSelection));
  if (selectAll) {
    selectAll.addEventListener("change", () => {
      boxes().forEach((box) => { box.checked = selectAll.checked; });
      updateSelection();
    });
  }

  const importForm = document.getElementById("import-form");
  const importMessage = document.getElementById("import-message");
  const importErrors = document.getElementById("import-errors");
  importForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    importMessage.textContent = "Uploading…";
    importMessage.className = "message";
    importErrors.replaceChildren();
    try {
      const result = await annolab.post(annolab.projectUrl(project, "import"), new FormData(importForm));
      const count = (n, noun) => `${n} ${noun}${n === 1 ? "" : "s"}`;
      importMessage.textContent =
        `Imported ${count(result.task_count, "task")}, ${count(result.completion_count, "completion")}, ` +
        `${count(result.prediction_count, "prediction")}.`;
      importMessage.className = "message ok";
      setTimeout(() => window.location.reload(), 800);
    } catch (failure) {
      importMessage.textContent = annolab.describe(failure);
      importMessage.className = "message error";
      importErrors.replaceChildren(...(failure.errors || []).map((error) =>
        h("li", { class: "error" }, error.index !== undefined ? `Task ${error.index}: ` : "", error.message)));
    }
  });

  // One PATCH per selected task; the page reloads once all are stored.
  async function editSelected(changesOf, done) {
    const ids = selectedIds();
    editButtons().forEach((edit) => { edit.disabled = true; });
    editMessage.textContent = "Saving…";
    editMessage.className = "message";
    try {
      for (const id of ids) {
        const row = document.querySelector(`#tasks tr[data-task='${id}']`);
        await annolab.patch(annolab.projectUrl(project, `tasks/${id}/`), changesOf(row));
      }
      editMessage.textContent = `${done} ${ids.length} task${ids.length === 1 ? "" : "s"}.`;
      editMessage.className = "message ok";
      window.location.reload();
    } catch (failure) {
      editMessage.textContent = annolab.describe(failure);
      editMessage.className = "message error";
      updateSelection();
    }
  }

  const tagForm = document.getElementById("tag-form");
  tagForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const tag = tagForm.elements.tag.value.trim();
    const adding = event.submitter && event.submitter.value === "add";
    if (!tag) return;
    editSelected((row) => {
      const tags = Array.from(row.querySelectorAll(".tags .chip"), (chip) => chip.textContent);
      const kept = tags.filter((name) => name !== tag);
      return { tags: adding ? [...kept, tag] : kept };
    }, adding ? `Tagged “${tag}”:` : `Untagged “${tag}”:`);
  });

  const assignForm = document.getElementById("assign-form");
  assignForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const annotators = Array.from(assignForm.elements.annotators.selectedOptions, (o) => o.value);
    const reviewer = assignForm.elements.reviewer.value || null;
    editSelected(() => ({ annotators, reviewer }), "Assigned");
  });

  updateSelection();
})();
