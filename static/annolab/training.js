"use strict";
/*
 * Model Training tab (the product page's items): Train Now with the deploy prompt, the training
 * parameters popup behind the gear, progress in the top right, log downloads, the active
 * learning switch with its frequency and next-task strategy, and the training history with a
 * per-label F1 chart. Everything goes through the REST API; the page only polls and draws.
 */
(() => {
  const root = document.getElementById("training-tab");
  if (!root) return;
  const { h } = annolab;
  const setup = JSON.parse(document.getElementById("setup-data").textContent);
  const project = setup.project;
  const url = {
    status: annolab.projectUrl(project, "status"),
    trainings: annolab.projectUrl(project, "trainings/"),
    run: (id) => annolab.projectUrl(project, `trainings/${id}/`),
    runLogs: (id) => annolab.projectUrl(project, `trainings/${id}/logs`),
    cancel: (id) => annolab.projectUrl(project, `trainings/${id}/cancel`),
    models: `/api/models/?project=${encodeURIComponent(project)}`,
    modelLogs: (name) => `/api/models/${encodeURIComponent(name)}/logs`,
    activeLearning: annolab.projectUrl(project, "active-learning"),
  };
  const POLL_MS = 2000;
  const TYPE_NAMES = { ner: "NER", assertion: "assertion status", classification: "classification" };

  // "Deploy if better" needs a test set to compare on (the server refuses it otherwise).
  for (const node of root.querySelectorAll("[data-needs-test-set]")) node.hidden = !setup.has_test_set;
  const DEPLOY_CHOICES = { deploy: true, train: false, if_better: "if_better" };

  const trainButton = document.getElementById("train-now");
  const progressBox = document.getElementById("training-progress");
  const progressText = progressBox.querySelector("[data-role=text]");
  const progressBar = progressBox.querySelector("[data-role=bar]");
  const progressFill = progressBox.querySelector("[data-role=fill]");
  const cancelButton = progressBox.querySelector("[data-role=cancel]");

  // --- dialogs -------------------------------------------------------------------------------

  /** Open a dialog whose buttons carry data-choice; resolves with the choice ("cancel" on Esc). */
  function ask(dialog) {
    return new Promise((resolve) => {
      const buttons = dialog.querySelectorAll("[data-choice]");
      function finish(choice) {
        buttons.forEach((button) => button.removeEventListener("click", onClick));
        dialog.removeEventListener("cancel", onCancel);
        dialog.close();
        resolve(choice);
      }
      function onClick(event) { finish(event.currentTarget.dataset.choice); }
      function onCancel(event) { event.preventDefault(); finish("cancel"); }
      buttons.forEach((button) => button.addEventListener("click", onClick));
      dialog.addEventListener("cancel", onCancel);
      dialog.showModal();
    });
  }

  // --- training parameters -------------------------------------------------------------------

  const DEFAULTS = {
    validation_split: 0.2, epochs: 10, learning_rate: null, decay: 0.005, dropout: 0.5,
    batch_size: null, tags: [], completions: "submitted", model_types: null,
    classification_groups: "default", embeddings: { source: "word2vec" },
  };
  // The ranges of api.md "Training"; the server checks them again and names the field if not.
  const RANGES = {
    validation_split: { ok: (v) => v >= 0 && v <= 0.5, text: "from 0 to 0.5" },
    epochs: { integer: true, ok: (v) => v >= 1 && v <= 500, text: "a whole number from 1 to 500" },
    learning_rate: { optional: true, ok: (v) => v > 0 && v <= 1, text: "greater than 0 and at most 1" },
    decay: { ok: (v) => v >= 0 && v <= 1, text: "from 0 to 1" },
    dropout: { ok: (v) => v >= 0 && v < 1, text: "at least 0 and less than 1" },
    batch_size: { optional: true, integer: true, ok: (v) => v >= 1 && v <= 1024, text: "a whole number from 1 to 1024" },
  };
  const paramsDialog = document.getElementById("params-dialog");
  const paramsForm = document.getElementById("params-form");
  const paramsSummary = document.getElementById("params-summary");
  let params = { ...DEFAULTS };
  let paramsTouched = false; // once saved here, the last run's parameters no longer replace them

  function fillForm(values) {
    const f = paramsForm.elements;
    for (const name of Object.keys(RANGES)) f[name].value = values[name] ?? "";
    f.tags.value = (values.tags || []).join(", ");
    f.completions.value = values.completions;
    f.classification_groups.value = values.classification_groups;
    paramsForm.querySelectorAll("input[name=model_types]").forEach((box) => {
      box.checked = !values.model_types || values.model_types.includes(box.value);
    });
    const embeddings = values.embeddings || { source: "word2vec" };
    f.embeddings_source.value = embeddings.source;
    f.embeddings_path.value = embeddings.path || "";
    f.embeddings_name.value = embeddings.name || "";
    showEmbeddingInputs();
  }

  function showEmbeddingInputs() {
    const source = paramsForm.elements.embeddings_source.value;
    paramsForm.elements.embeddings_path.hidden = source !== "file";
    paramsForm.elements.embeddings_name.hidden = source !== "pretrained";
  }

  /** The form as api.md params, or the errors to show next to each field. */
  function readForm() {
    const f = paramsForm.elements;
    const values = {};
    const errors = [];
    for (const [name, range] of Object.entries(RANGES)) {
      const raw = f[name].value.trim();
      if (raw === "") {
        if (range.optional) { values[name] = null; continue; }
        errors.push({ field: `params.${name}`, message: `Enter a value ${range.text}.` });
        continue;
      }
      const number = Number(raw);
      if (!Number.isFinite(number) || (range.integer && !Number.isInteger(number)) || !range.ok(number)) {
        errors.push({ field: `params.${name}`, message: `Must be ${range.text}; got ${raw}.` });
      } else {
        values[name] = number;
      }
    }
    values.tags = f.tags.value.split(",").map((tag) => tag.trim()).filter(Boolean);
    values.completions = f.completions.value;
    values.classification_groups = f.classification_groups.value;
    const boxes = Array.from(paramsForm.querySelectorAll("input[name=model_types]"));
    const checked = boxes.filter((box) => box.checked).map((box) => box.value);
    if (boxes.length && !checked.length) {
      errors.push({ field: "params.model_types", message: "Pick at least one model type." });
    }
    // Every type ticked means "whatever the config allows", which follows later config edits.
    values.model_types = checked.length === boxes.length ? null : checked;
    const source = f.embeddings_source.value;
    if (source === "file") {
      const path = f.embeddings_path.value.trim();
      if (!path || path.startsWith("/") || path.split("/").includes("..")) {
        errors.push({ field: "params.embeddings.path", message: "A file name under the server's embeddings folder." });
      }
      values.embeddings = { source, path };
    } else if (source === "pretrained") {
      const name = f.embeddings_name.value.trim();
      if (!name) errors.push({ field: "params.embeddings.name", message: "Name the pretrained embeddings." });
      values.embeddings = { source, name };
    } else {
      values.embeddings = { source: "word2vec" };
    }
    return { values, errors };
  }

  function showParamErrors(errors) {
    paramsForm.querySelectorAll("[data-error-for]").forEach((slot) => {
      const fields = slot.dataset.errorFor.split(" ");
      const mine = errors.filter((error) => fields.includes(error.field));
      slot.textContent = mine.map((error) => error.message).join(" ");
      if (slot.tagName === "P") slot.hidden = !mine.length;
    });
    paramsForm.querySelectorAll("[data-field]").forEach((input) => {
      input.classList.toggle("invalid", errors.some((error) => error.field === input.dataset.field));
    });
    // An error about a field the form does not show still deserves a place.
    const shown = new Set(
      Array.from(paramsForm.querySelectorAll("[data-error-for]")).flatMap((s) => s.dataset.errorFor.split(" "))
    );
    const general = paramsForm.querySelector('[data-error-for="params"]');
    const others = errors.filter((error) => !shown.has(error.field) || error.field === "params");
    if (others.length) {
      general.textContent = others.map((e) => (e.field && e.field !== "params" ? `${e.field}: ${e.message}` : e.message)).join(" ");
      general.hidden = false;
    }
  }

  function summarize(values) {
    const parts = [`${values.epochs} epochs`, `split ${values.validation_split}`];
    if (values.learning_rate !== null) parts.push(`lr ${values.learning_rate}`);
    if (values.batch_size !== null) parts.push(`batch ${values.batch_size}`);
    if (values.tags.length) parts.push(`tags: ${values.tags.join(", ")}`);
    if (values.completions === "reviewed") parts.push("reviewed only");
    if (values.model_types) parts.push(values.model_types.join(" + "));
    paramsSummary.textContent = parts.join(" · ");
  }

  function openParams(errors = []) {
    fillForm(params);
    showParamErrors(errors);
    if (!paramsDialog.open) paramsDialog.showModal();
  }

  document.getElementById("params-open").addEventListener("click", () => openParams());
  paramsForm.elements.embeddings_source.addEventListener("change", showEmbeddingInputs);
  paramsForm.querySelector("[data-action=cancel]").addEventListener("click", () => paramsDialog.close());
  paramsForm.querySelector("[data-action=defaults]").addEventListener("click", () => {
    fillForm(DEFAULTS);
    showParamErrors([]);
  });
  paramsForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const { values, errors } = readForm();
    showParamErrors(errors);
    if (errors.length) return;
    params = values;
    paramsTouched = true;
    summarize(params);
    paramsDialog.close();
  });

  // --- Train Now and progress ----------------------------------------------------------------

  let activeRunId = null;
  let firstStatus = true;

  function showBox(kind, text, fraction = null, cancellable = false) {
    progressBox.hidden = false;
    progressBox.className = `progress-box ${kind}`;
    progressText.textContent = text;
    progressBar.hidden = fraction === null;
    if (fraction !== null) {
      progressBar.classList.toggle("indeterminate", fraction < 0);
      progressFill.style.width = fraction < 0 ? "30%" : `${Math.round(fraction * 100)}%`;
    }
    cancelButton.hidden = !cancellable;
  }

  function showRunning(run) {
    if (run.status === "queued") {
      showBox("running", "Training queued: waiting for a worker…", -1, true);
      return;
    }
    const progress = run.progress;
    if (progress && progress.epochs) {
      const type = TYPE_NAMES[progress.model_type] || progress.model_type;
      showBox("running", `Training ${type} model · epoch ${progress.epoch}/${progress.epochs}`,
        progress.epoch / progress.epochs, true);
    } else {
      showBox("running", "Training: preparing the data…", -1, true);
    }
  }

  function showOutcome(run, fresh) {
    if (!run) {
      progressBox.hidden = true;
      return;
    }
    const when = fresh ? "" : ` (${annolab.formatDate(run.finished_at)})`;
    const failures = (run.results || []).filter((r) => r.status === "failed" && r.error);
    if (run.status === "succeeded" && run.error) {
      // Trained, but something after training went wrong (e.g. "trained but not deployed").
      showBox("warning", `Training succeeded${when}: ${run.models.join(", ")}; ${run.error}`);
    } else if (run.status === "succeeded") {
      showBox("success", `Training succeeded${when}: ${run.models.join(", ")}`);
    } else if (run.status === "partial") {
      const reasons = failures.map((r) => `${TYPE_NAMES[r.model_type] || r.model_type}: ${r.error}`).join("; ");
      showBox("warning", `Training partly failed${when}: ${run.models.join(", ") || "no model"} trained; ${reasons}`);
    } else if (run.status === "failed") {
      showBox("failure", `Training failed${when}: ${run.error || failures.map((r) => r.error).join("; ") || "no reason given"}`);
    } else if (run.status === "cancelled") {
      showBox("warning", `Training cancelled${when}.`);
    }
  }

  function renderStatus(status) {
    trainButton.disabled = status.busy;
    trainButton.title = status.training
      ? "A training of this project is queued or running."
      : status.preannotation ? "A pre-annotation of this project is running." : "";
    if (status.training) {
      activeRunId = status.training.id;
      showRunning(status.training);
    } else if (status.preannotation) {
      const done = status.preannotation.progress || { done: 0, total: 0 };
      showBox("running", `Pre-annotation running: ${done.done}/${done.total} tasks`,
        done.total ? done.done / done.total : -1);
    } else if (activeRunId !== null) {
      // The run we were watching ended: say how, and refresh what it changed.
      activeRunId = null;
      showOutcome(status.last_training, true);
      refreshHistory();
    } else if (firstStatus) {
      showOutcome(status.last_training, false);
    }
    firstStatus = false;
  }

  async function poll() {
    try {
      renderStatus(await annolab.get(url.status));
    } catch (failure) {
      showBox("failure", `Cannot read the training status: ${annolab.describe(failure)}`);
    }
  }

  function schedulePoll() {
    // Hidden tabs do not poll; the next poll after they come back catches up.
    setTimeout(async () => {
      if (!document.hidden) await poll();
      schedulePoll();
    }, POLL_MS);
  }

  async function startTraining(deploy) {
    trainButton.disabled = true;
    try {
      const run = await annolab.post(url.trainings, { deploy, params });
      activeRunId = run.id;
      showRunning(run);
    } catch (failure) {
      const fieldErrors = (failure.errors || []).filter((e) => e.field && e.field.startsWith("params."));
      showBox("failure", `Training was not started: ${annolab.describe(failure)}`);
      if (fieldErrors.length) openParams(failure.errors);
    }
    await poll();
  }

  trainButton.addEventListener("click", async () => {
    const choice = await ask(document.getElementById("deploy-dialog"));
    if (choice !== "cancel") await startTraining(DEPLOY_CHOICES[choice]);
  });

  cancelButton.addEventListener("click", async () => {
    if (activeRunId === null) return;
    try {
      await annolab.post(url.cancel(activeRunId));
    } catch (failure) {
      showBox("failure", annolab.describe(failure));
    }
    await poll();
  });

  // --- recent models, history and the F1 chart -----------------------------------------------

  const microF1 = (model) => annolab.microMetrics(model)?.f1;
  const fmt = (value) => (typeof value === "number" ? value.toFixed(2) : "–");

  function logLink(href, label, filenameHint) {
    return h("a", { class: "icon-link", href, download: filenameHint || "", title: label, "aria-label": label },
      annolab.downloadIcon());
  }

  function renderRecent(models) {
    const list = document.querySelector("#recent-models [data-role=list]");
    const recent = models.filter((m) => m.source === "trained").slice(0, 6);
    if (!recent.length) {
      list.replaceChildren(h("li", { class: "empty" }, "No model trained yet."));
      return;
    }
    list.replaceChildren(
      ...recent.map((model) =>
        h("li", { "data-model": model.name,
          title: `Trained ${annolab.formatDate(model.trained_at)} · ${model.trigger === "active_learning" ? "by active learning" : "manually"}` },
          h("span", { class: "model-name" }, model.name),
          h("span", { class: "hint" }, ` ${model.type} · F1 ${fmt(microF1(model))}`),
          model.deployed_in && model.deployed_in.includes(project) ? h("span", { class: "badge ok" }, "deployed") : null,
          logLink(url.modelLogs(model.name), `Download the training log of ${model.name}`, `${model.name}.log`))
      )
    );
  }

  function renderHistory(runs, modelsByName) {
    const body = document.querySelector("#history tbody");
    if (!runs.length) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: 6, class: "empty" }, "No training yet.")));
      return;
    }
    body.replaceChildren(
      ...runs.map((run) =>
        h("tr", { "data-run": run.id },
          h("td", {}, annolab.formatDate(run.created_at)),
          h("td", {}, run.trigger === "active_learning" ? "active learning" : "manual"),
          h("td", {}, h("span", { class: `status ${run.status}`, title: run.error || null }, run.status)),
          h("td", {}, run.models.length ? run.models.map((name) => h("div", {}, name)) : "–"),
          h("td", {}, run.models.length
            ? run.models.map((name) => h("div", {}, fmt(microF1(modelsByName.get(name)))))
            : "–"),
          h("td", {}, ["queued", "running"].includes(run.status)
            ? ""
            : logLink(url.runLogs(run.id), `Download all logs of run ${run.id}`, `${project}-run-${run.id}-logs.zip`)))
      )
    );
  }

  const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];

  const MODEL_TYPE_TITLES = { ner: "NER", assertion: "Assertion status", classification: "Classification" };

  // One chart per model type: an entity label's F1 and a class's F1 are different scales, and
  // one legend for both mixed them up. A point is a model version at the number of completions
  // it was trained on ("is more data helping?"): its test-set F1 when the project has a test set
  // (comparable across versions), its validation F1 otherwise, and the caption says which.
  function renderChart(runs, modelsByName) {
    const plot = document.querySelector("#f1-chart [data-role=plot]");
    const caption = document.querySelector("#f1-chart [data-role=caption]");
    const useTest = Boolean(setup.has_test_set);
    caption.textContent = useTest
      ? `Per-label test-set F1 (tasks tagged “${setup.test_tag}”) by training completions`
      : "Per-label validation F1 by training completions (no test set)";
    const byType = new Map(); // model type -> one point per model version: {model, n, f1}
    const trained = [...modelsByName.values()]
      .filter((model) => model.source === "trained")
      .sort((a, b) => String(a.trained_at).localeCompare(String(b.trained_at)));
    for (const model of trained) {
      const scores = (useTest ? model.test_metrics : model.metrics)?.per_label || {};
      const f1 = {};
      for (const [label, value] of Object.entries(scores)) {
        if (typeof value.f1 === "number") f1[label] = value.f1;
      }
      if (!Object.keys(f1).length || typeof model.training_completions !== "number") continue;
      if (!byType.has(model.type)) byType.set(model.type, []);
      byType.get(model.type).push({ model, n: model.training_completions, f1 });
    }
    if (!byType.size) {
      plot.replaceChildren(h("p", { class: "empty" }, useTest ? "No model scored on the test set yet." : "No evaluated run yet."));
      return;
    }
    const order = Object.keys(MODEL_TYPE_TITLES);
    const types = [...byType.keys()].sort((a, b) => order.indexOf(a) - order.indexOf(b));
    const what = useTest ? "test-set" : "validation";
    plot.replaceChildren(...types.map((type) => {
      const title = MODEL_TYPE_TITLES[type] || type;
      const points = byType.get(type).sort((a, b) => a.n - b.n);
      return h("figure", { class: "chart-part", "data-model-type": type, "data-scores": what },
        h("figcaption", {}, title), ...drawChart(points, `${title}: per-label ${what} F1 by training completions`));
    }));
  }

  function drawChart(points, description) {
    const labels = [...new Set(points.flatMap((p) => Object.keys(p.f1)))].sort();
    const W = 420, H = 190, L = 32, R = 14, T = 10, B = 34;
    const low = Math.min(...points.map((p) => p.n)), high = Math.max(...points.map((p) => p.n));
    // Proportional to the number of completions; one version alone sits in the middle.
    const x = (n) => (high === low ? L + (W - L - R) / 2 : L + ((n - low) * (W - L - R)) / (high - low));
    const y = (v) => T + (1 - v) * (H - T - B);
    const ns = "http://www.w3.org/2000/svg";
    const svg = (tag, attributes, ...children) => {
      const node = document.createElementNS(ns, tag);
      for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
      node.append(...children);
      return node;
    };
    const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": description });
    for (const v of [0, 0.5, 1]) {
      chart.append(svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "gridline" }));
      chart.append(svg("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end", class: "axis" }, v.toFixed(1)));
    }
    for (const n of [...new Set(points.map((p) => p.n))]) {
      chart.append(svg("text", { x: x(n), y: H - 18, "text-anchor": "middle", class: "axis" }, String(n)));
    }
    chart.append(svg("text", { x: (L + W - R) / 2, y: H - 4, "text-anchor": "middle", class: "axis" }, "training completions"));
    labels.forEach((label, index) => {
      const color = PALETTE[index % PALETTE.length];
      const mine = points.filter((p) => p.f1[label] !== undefined);
      if (mine.length > 1) {
        chart.append(svg("polyline", {
          points: mine.map((p) => `${x(p.n)},${y(p.f1[label])}`).join(" "), fill: "none", stroke: color, "stroke-width": 2,
        }));
      }
      for (const p of mine) {
        const dot = svg("circle", { cx: x(p.n), cy: y(p.f1[label]), r: 3, fill: color });
        dot.append(svg("title", {}, `${label}: F1 ${p.f1[label].toFixed(2)} (${p.model.name}, ${p.n} completions)`));
        chart.append(dot);
      }
    });
    const legend = h("ul", { class: "legend" },
      labels.map((label, index) =>
        h("li", {}, h("span", { class: "swatch", style: `background:${PALETTE[index % PALETTE.length]}` }), label)));
    return [chart, legend];
  }

  async function refreshHistory() {
    try {
      const [runsPage, models] = await Promise.all([annolab.get(url.trainings), annolab.all(url.models)]);
      const runs = runsPage.results;
      const modelsByName = new Map(models.map((m) => [m.name, m]));
      renderRecent(models);
      renderHistory(runs, modelsByName);
      renderChart(runs, modelsByName);
      // Start from the parameters of the last manual run, as active learning does.
      const lastManual = runs.find((run) => run.trigger === "manual");
      if (lastManual && !paramsDialog.open && !paramsTouched) {
        params = { ...DEFAULTS, ...lastManual.params };
        summarize(params);
      }
    } catch (failure) {
      document.querySelector("#history tbody").replaceChildren(
        h("tr", {}, h("td", { colspan: 6, class: "message error" }, annolab.describe(failure))));
    }
  }
  // --- active learning -----------------------------------------------------------------------

  const alSwitch = document.getElementById("al-enabled");
  const alFrequency = document.getElementById("al-frequency");
  const alFrequencyWrap = document.getElementById("al-frequency-wrap");
  const alStrategy = document.getElementById("al-strategy");
  const alInfo = document.getElementById("al-info");
  const alError = document.getElementById("al-error");
  let alSettings = null;

  function renderActiveLearning(settings) {
    alSettings = settings;
    alSwitch.checked = settings.enabled;
    alSwitch.disabled = false;
    alStrategy.disabled = false;
    const frequency = String(settings.frequency);
    if (!Array.from(alFrequency.options).some((option) => option.value === frequency)) {
      alFrequency.append(h("option", { value: frequency }, frequency)); // set through the API
    }
    alFrequency.value = frequency;
    alFrequencyWrap.hidden = !settings.enabled;
    alStrategy.value = settings.strategy;
    const since = settings.completions_since_last_training;
    alInfo.textContent = settings.enabled
      ? `${since ?? 0} of ${settings.frequency} completions since the last training` +
        `${settings.pending ? " · a training is pending" : ""}; new models are ` +
        `${{ true: "deployed automatically", false: "not deployed automatically",
          if_better: "deployed when their test-set F1 is at least the deployed model's" }[settings.deploy]}.`
      : "Off: models are trained only with Train Now.";
    alError.hidden = true;
  }

  async function saveActiveLearning(changes) {
    // `params` is left out on purpose: null there means "those of the last manual run", and
    // sending back what GET showed would pin them.
    const body = {
      enabled: alSettings.enabled,
      frequency: alSettings.frequency,
      deploy: alSettings.deploy,
      strategy: alSettings.strategy,
      ...changes,
    };
    try {
      renderActiveLearning(await annolab.put(url.activeLearning, body));
    } catch (failure) {
      alError.textContent = annolab.describe(failure);
      alError.hidden = false;
      renderActiveLearningSafely();
    }
  }

  function renderActiveLearningSafely() {
    if (alSettings) {
      const message = alError.textContent;
      renderActiveLearning(alSettings);
      alError.textContent = message;
      alError.hidden = !message;
    }
  }

  async function loadActiveLearning() {
    try {
      renderActiveLearning(await annolab.get(url.activeLearning));
    } catch (failure) {
      alError.textContent = failure.status === 404
        ? "Active learning settings are not available on this server."
        : annolab.describe(failure);
      alError.hidden = false;
    }
  }

  alSwitch.addEventListener("change", async () => {
    if (!alSwitch.checked) {
      await saveActiveLearning({ enabled: false });
      return;
    }
    const choice = await ask(document.getElementById("al-deploy-dialog"));
    if (choice === "cancel") {
      alSwitch.checked = false;
      return;
    }
    await saveActiveLearning({ enabled: true, deploy: DEPLOY_CHOICES[choice] });
  });
  alFrequency.addEventListener("change", () => saveActiveLearning({ frequency: Number(alFrequency.value) }));
  alStrategy.addEventListener("change", () => saveActiveLearning({ strategy: alStrategy.value }));

  // --- start ---------------------------------------------------------------------------------

  fillForm(params);
  summarize(params);
  poll();
  schedulePoll();
  refreshHistory();
  loadActiveLearning();
})();
