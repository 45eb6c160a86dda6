"use strict";
/*
 * The Spark NLP pipeline config: every model the caller may see (GET /api/models/), filtered by
 * project and type. Hovering a model tells when it was trained and by what; selecting one and
 * pressing Deploy binds it to a project's labeling config (POST /api/projects/<name>/deploy) and
 * shows the updated config, or why it cannot be deployed. Each row says how much of what the
 * model pre-annotated the annotators kept (GET /api/models/<name>/usefulness). Owners and managers
 * download a model's Spark NLP pipeline as a zip (GET /api/models/<name>/download); a shared
 * model, whoever manages any project.
 */
(() => {
  const { h } = annolab;
  const deployable = new Set(JSON.parse(document.getElementById("models-data").textContent).deployable);
  const body = document.querySelector("#models tbody");
  const projectFilter = document.getElementById("filter-project");
  const typeFilter = document.getElementById("filter-type");
  const deployButton = document.getElementById("deploy-button");
  const deployProject = document.getElementById("deploy-project");
  const selection = document.getElementById("deploy-selection");
  const message = document.getElementById("deploy-message");
  const errors = document.getElementById("deploy-errors");
  const configTitle = document.getElementById("deploy-config-title");
  const configView = document.getElementById("deploy-config");
  let selected = null;

  function hoverText(model) {
    if (model.source === "registered") return "Registered from outside annolab (not trained here).";
    const how = model.trigger === "active_learning" ? "by active learning" : "manually";
    return `Trained ${annolab.formatDate(model.trained_at)}, started ${how}` +
      (model.training_run ? ` (training run #${model.training_run})` : "");
  }

  function metrics(model) {
    const micro = annolab.microMetrics(model);
    if (!micro) return "–";
    const f = (v) => (typeof v === "number" ? v.toFixed(2) : "–");
    return `${f(micro.precision)} / ${f(micro.recall)} / ${f(micro.f1)}`;
  }

  /** "kept 71% of 340 predicted regions", from the model's usefulness. */
  function keptShare(usefulness) {
    if (!usefulness.predicted_regions) {
      return h("span", { class: "hint" }, usefulness.tasks ? "nothing predicted" : "not used yet");
    }
    const share = Math.round((100 * usefulness.kept) / usefulness.predicted_regions);
    const unit = usefulness.predicted_regions === 1 ? "predicted region" : "predicted regions";
    return `kept ${share}% of ${usefulness.predicted_regions} ${unit}`;
  }

  /** Fill each row's usefulness cell, a few requests at a time. */
  async function fillUsefulness(models) {
    const queue = [...models];
    async function worker() {
      for (let model = queue.shift(); model; model = queue.shift()) {
        const cell = body.querySelector(`tr[data-model="${CSS.escape(model.name)}"] [data-role=usefulness]`);
        if (!cell) continue;
        try {
          const usefulness = await annolab.get(`/api/models/${encodeURIComponent(model.name)}/usefulness`);
          cell.replaceChildren(keptShare(usefulness));
          cell.title = `${usefulness.tasks} submitted completions started from its predictions: ` +
            `${usefulness.kept} kept, ${usefulness.changed} changed, ${usefulness.deleted} deleted, ` +
            `${usefulness.added} added`;
        } catch (failure) {
          cell.replaceChildren(h("span", { class: "hint" }, "–"));
          cell.title = annolab.describe(failure);
        }
      }
    }
    await Promise.all([worker(), worker(), worker(), worker()]);
  }

  function select(model) {
    selected = model;
    if (!deployButton) return;
    selection.textContent = model.name;
    selection.classList.remove("hint");
    if (model.project && deployable.has(model.project)) deployProject.value = model.project;
    deployButton.disabled = false;
  }

  /** The Download link: for the model's own project's owners and managers (the API's rule). */
  function downloadLink(model) {
    const allowed = model.project ? deployable.has(model.project) : deployable.size > 0;
    if (!allowed) return "";
    return h("a", {
      class: "button small", href: `/api/models/${encodeURIComponent(model.name)}/download`,
      download: `${model.name}.zip`, "data-role": "download",
      title: `Download ${model.name}: its Spark NLP pipeline and a README, as a zip`,
    }, "Download");
  }

  function render(models) {
    if (!models.length) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: 10, class: "empty" }, "No model matches.")));
      return;
    }
    body.replaceChildren(
      ...models.map((model) => {
        const id = `model-${model.name}`;
        const labels = model.labels || [];
        return h("tr", { "data-model": model.name, title: hoverText(model) },
          h("td", {}, h("input", {
            type: "radio", name: "model", id, value: model.name,
            checked: selected && selected.name === model.name,
            onchange: () => select(model),
          })),
          h("td", {}, h("label", { for: id, class: "model-name", title: hoverText(model) }, model.name)),
          h("td", {}, model.type),
          h("td", {}, model.project || h("span", { class: "hint" }, "shared")),
          h("td", { class: "labels" }, labels.slice(0, 8).map((label) => h("span", { class: "chip small" }, label)),
            labels.length > 8 ? h("span", { class: "hint" }, ` +${labels.length - 8}`) : null),
          h("td", { class: "num" }, metrics(model)),
          h("td", { "data-role": "usefulness" }, h("span", { class: "hint" }, "…")),
          h("td", {}, (model.deployed_in || []).join(", ") || "–"),
          h("td", {}, model.source === "trained"
            ? h("a", { class: "icon-link", href: `/api/models/${encodeURIComponent(model.name)}/logs`,
              download: `${model.name}.log`, title: `Download the training log of ${model.name}`,
              "aria-label": `Download the training log of ${model.name}` }, annolab.downloadIcon())
            : ""),
          h("td", {}, downloadLink(model)));
      })
    );
  }

  async function load() {
    const query = new URLSearchParams();
    if (projectFilter.value) query.set("project", projectFilter.value);
    if (typeFilter.value) query.set("type", typeFilter.value);
    // The filter lives in the URL, so a reload or a shared link shows the same list.
    window.history.replaceState(null, "", `${window.location.pathname}${query.toString() ? `?${query}` : ""}`);
    try {
      const models = await annolab.all(`/api/models/?${query}`);
      render(models);
      fillUsefulness(models);
    } catch (failure) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: 10, class: "message error" }, annolab.describe(failure))));
    }
  }

  function showConfig(text, modelName) {
    const parts = text.split(modelName);
    configView.replaceChildren(...parts.flatMap((part, i) => (i ? [h("mark", {}, modelName), part] : [part])));
    configView.hidden = false;
    configTitle.hidden = false;
  }

  if (deployButton) {
    deployButton.addEventListener("click", async () => {
      if (!selected) return;
      const project = deployProject.value;
      deployButton.disabled = true;
      message.textContent = "Deploying…";
      message.className = "message";
      errors.replaceChildren();
      try {
        const updated = await annolab.post(annolab.projectUrl(project, "deploy"), { models: [selected.name] });
        message.textContent = `${selected.name} is deployed in ${project}.`;
        message.className = "message ok";
        showConfig(updated.labeling_config, selected.name);
        await load();
      } catch (failure) {
        message.textContent = annolab.describe(failure);
        message.className = "message error";
        errors.replaceChildren(...(failure.errors || []).map((error) =>
          h("li", { class: "error" }, error.line ? `Line ${error.line}: ` : "", error.message)));
        configView.hidden = true;
        configTitle.hidden = true;
      } finally {
        deployButton.disabled = false;
      }
    });
  }

  const initial = new URLSearchParams(window.location.search);
  typeFilter.value = initial.get("type") || "";
  projectFilter.addEventListener("change", load);
  typeFilter.addEventListener("change", load);
  document.getElementById("model-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  load();
})();
