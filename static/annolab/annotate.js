"use strict";
/*
 * The annotate page: Label Studio's editor on one task. Its regions (serializeAnnotation(), the
 * Label Studio region format our `result` uses as it is) are saved as the caller's draft
 * (POST completions with submit false, then PATCH) and submitted (POST .../submit); then the
 * page moves on to the next task by the project's strategy (/annotate/next/).
 */
(() => {
  const options = JSON.parse(document.getElementById("annotate-options").textContent);
  const project = JSON.parse(document.getElementById("annotate-project").textContent);
  const status = document.getElementById("annotate-status");
  const taskId = options.task.id;
  const completionsUrl = annolab.projectUrl(project, `tasks/${taskId}/completions/`);
  const startedAt = Date.now();
  let draftId = options.draft_id;
  let submitted = false;
  let store = null;
  // Saves run one after another: an autosave landing during a submit must not create a second
  // draft, and a PATCH must follow the POST that created the draft.
  let chain = Promise.resolve();

  function say(text, kind) {
    status.textContent = text;
    status.className = `message ${kind || ""}`;
  }

  const leadTime = () => Math.round((Date.now() - startedAt) / 100) / 10;

  function queue(work) {
    chain = chain.catch(() => undefined).then(work);
    return chain;
  }

  async function saveDraft(result) {
    if (submitted) return;
    if (draftId) {
      await annolab.patch(`/api/completions/${draftId}/`, { result, lead_time: leadTime() });
    } else {
      const draft = await annolab.post(completionsUrl, { result, submit: false, lead_time: leadTime() });
      draftId = draft.id;
    }
    say(`Draft saved at ${new Date().toLocaleTimeString()}.`, "ok");
  }

  async function submit(result) {
    if (submitted) return;
    if (draftId) {
      await annolab.patch(`/api/completions/${draftId}/`, { result, lead_time: leadTime() });
      await annolab.post(`/api/completions/${draftId}/submit`);
    } else {
      await annolab.post(completionsUrl, { result, submit: true, lead_time: leadTime() });
    }
    submitted = true;
    say("Submitted. Opening the next task…", "ok");
    window.location.href = `/projects/${encodeURIComponent(project)}/annotate/next/`;
  }

  function failed(what) {
    return (failure) => {
      say(`${what} failed: ${annolab.describe(failure)}`, "error");
      for (const error of failure.errors || []) console.warn(error);
    };
  }

  // Label Studio calls "update" for an annotation it believes was sent before (e.g. after a
  // failed submit); for us both mean the same: submit the caller's completion.
  const onSubmit = (_store, annotation) =>
    queue(() => submit(annotation.serializeAnnotation())).catch(failed("Submitting"));

  new LabelStudio("label-studio", {
    config: options.config,
    interfaces: [
      "panel", "update", "submit", "controls", "side-column", "topbar", "edit-history",
      "annotations:current", "annotations:menu", "predictions:menu",
    ],
    user: options.user,
    task: options.task,
    onLabelStudioLoad(labelStudio) {
      store = labelStudio;
      const annotations = labelStudio.annotationStore;
      if (annotations.annotations.length) return; // the caller's draft is loaded
      // Start from the newest prediction when there is one: that is what pre-annotation is for.
      let annotation = null;
      if (annotations.predictions.length) {
        try {
          annotation = annotations.addAnnotationFromPrediction(annotations.predictions[0]);
        } catch (error) {
          console.warn("could not copy the prediction", error);
        }
      }
      annotation = annotation || annotations.addAnnotation({ userGenerate: true });
      annotations.selectAnnotation(annotation.id);
    },
    onSubmitAnnotation: onSubmit,
    onUpdateAnnotation: onSubmit,
    onSubmitDraft: (_store, annotation) =>
      queue(() => saveDraft(annotation.serializeAnnotation())).catch(failed("Saving the draft")),
  });

  document.getElementById("save-draft").addEventListener("click", () => {
    const annotation = store && store.annotationStore.selected;
    if (!annotation) return;
    queue(() => saveDraft(annotation.serializeAnnotation())).catch(failed("Saving the draft"));
  });
})();
