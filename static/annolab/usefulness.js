"use strict";
/*
 * The Model Training tab's "Pre-annotation usefulness" card: for the project's newest models,
 * what annotators did with the regions each pre-annotated (GET /api/models/<name>/usefulness):
 * kept exactly, changed (label or boundaries), deleted, added, the share kept per label, and the
 * median lead time of pre-annotated tasks against tasks done from scratch. It reloads whenever
 * the tab is opened, so completions submitted meanwhile show up.
 */
(() => {
  const card = document.getElementById("usefulness-card");
  if (!card) return;
  const { h } = annolab;
  const project = JSON.parse(document.getElementById("setup-data").textContent).project;
  const table = card.querySelector("[data-role=table]");
  const rows = table.querySelector("tbody");
  const empty = card.querySelector("[data-role=empty]");
  // The newest models of the project are the ones a team compares; older ones stay in the API.
  const NEWEST = 10;

  const percent = (share) => (share === null || share === undefined ? "–" : `${Math.round(100 * share)}%`);
  const seconds = (value) => (value === null || value === undefined ? "–" : `${Math.round(value)} s`);

  function row(usefulness) {
    const labels = Object.entries(usefulness.per_label)
      .filter(([, counts]) => counts.predicted > 0)
      .map(([label, counts]) => h("span", {
        class: "chip small",
        title: `${label}: ${counts.kept} of ${counts.predicted} predicted kept, ` +
          `${counts.changed} changed, ${counts.deleted} deleted, ${counts.added} added`,
      }, `${label} ${percent(counts.acceptance)}`));
    const lead = usefulness.lead_time;
    return h("tr", { "data-model": usefulness.model },
      h("td", { class: "model-name" }, usefulness.model),
      h("td", { class: "num" }, usefulness.tasks),
      h("td", { class: "num", "data-role": "kept" },
        `${usefulness.kept} (${percent(usefulness.acceptance)})`),
      h("td", { class: "num" }, usefulness.changed),
      h("td", { class: "num" }, usefulness.deleted),
      h("td", { class: "num" }, usefulness.added),
      h("td", { class: "labels" }, labels.length ? labels : "–"),
      h("td", { title: "median seconds per task: started from this model's prediction / from scratch" },
        `${seconds(lead.with_prediction)} with / ${seconds(lead.without_prediction)} without`));
  }

  async function load() {
    try {
      const models = (await annolab.get(`/api/models/?project=${encodeURIComponent(project)}`)).results;
      const found = await Promise.all(models.slice(0, NEWEST).map((model) =>
        annolab.get(`/api/models/${encodeURIComponent(model.name)}/usefulness`)));
      const used = found.filter((usefulness) => usefulness.tasks > 0);
      rows.replaceChildren(...used.map(row));
      table.hidden = !used.length;
      empty.hidden = Boolean(used.length);
      empty.className = "empty";
      empty.textContent = "No submitted completion started from a model's prediction yet.";
    } catch (failure) {
      table.hidden = true;
      empty.hidden = false;
      empty.className = "message error";
      empty.textContent = annolab.describe(failure);
    }
  }

  document.addEventListener("setup:tab", (event) => { if (event.detail === "training") load(); });
  load();
})();
