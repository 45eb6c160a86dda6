"use strict";
/*
 * The annotate page: Label Studio's editor on one task. Its regions (serializeAnnotation(), the
 * Label Studio region format our `result` uses as it is) are saved as the caller's draft
 * (POST completions with submit false, then PATCH) and submitted (POST .../submit); then the
 * page moves on to the next task by the project's strategy (/annotate/next/).
 *
 * A pre-annotated task starts as the annotator's own editable copy of its newest prediction.
 * The copy is made once the editor has loaded the task's predictions (its "storageInitialized"
 * event; "labelStudioLoad" fires before they exist), and the completion records which
 * prediction it started from. Submitting the copy untouched asks first, so no key press turns
 * a prediction into the annotator's completion by mistake.
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
  // The copied prediction as it was copied; a submit of exactly this asks for confirmation.
  let untouchedCopy = null;
  // Saves run one after another: an autosave landing during a submit must not create a second
  // draft, and a PATCH must follow the POST that created the draft.
  let chain = Promise.resolve();

  function say(text, kind) {
    status.textContent = text;
    status.className = `message ${kind || ""}`;
  }

  const leadTime = () => Math.round((Date.now() - startedAt) / 100) / 10;

  // The editor keeps a copied region's confidence as its `score`; the annotator's completion
  // carries no confidence of its own.
  const regionsOf = (annotation) =>
    annotation.serializeAnnotation().map(({ score: _score, ...region }) => region);

  const sameRegions = (a, b) => JSON.stringify(a) === JSON.stringify(b);

  function queue(work) {
    chain = chain.catch(() => undefined).then(work);
    return chain;
  }

  async function saveDraft(result) {
    if (submitted) return;
    if (draftId) {
      await annolab.patch(`/api/completions/${draftId}/`, { result, lead_time: leadTime() });
    } else {
      const draft = await annolab.post(completionsUrl, {
        result, submit: false, lead_time: leadTime(), prediction: options.prediction_id,
      });
      draftId = draft.id;
    }
    say(`Draft saved at ${new Date().toLocaleTimeString()}.`, "ok");
  }

  async function submit(result) {
    if (submitted) return;
    if (untouchedCopy && sameRegions(result, untouchedCopy)
        && !window.confirm("Submit the prediction unchanged as your own completion?")) {
      say("Not submitted: correct the predicted regions, or submit again to keep them as they are.", "warning");
      return;
    }
    if (draftId) {
      await annolab.patch(`/api/completions/${draftId}/`, { result, lead_time: leadTime() });
      await annolab.post(`/api/completions/${draftId}/submit`);
    } else {
      await annolab.post(completionsUrl, {
        result, submit: true, lead_time: leadTime(), prediction: options.prediction_id,
      });
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
  // failed submit or a declined confirmation); for us both mean the same: submit the caller's
  // completion. A prediction itself (selectable in the editor's menu) is never submitted.
  const onSubmit = (_store, annotation) => {
    if (annotation.type === "prediction") {
      say("This is the model's prediction: select your annotation to submit.", "warning");
      return undefined;
    }
    return queue(() => submit(regionsOf(annotation))).catch(failed("Submitting"));
  };

  // Runs once the editor holds the task's draft or predictions: pick what the annotator edits.
  function startAnnotation(labelStudio) {
    store = labelStudio;
    const annotations = labelStudio.annotationStore;
    if (annotations.annotations.length) {
      annotations.selectAnnotation(annotations.annotations[0].id); // the draft or the rework
      return;
    }
    const newest = annotations.predictions.find((p) => p.pk === String(options.prediction_id));
    let copy = null;
    if (newest) {
      try {
        copy = annotations.addAnnotationFromPrediction(newest);
      } catch (error) {
        console.warn("could not copy the prediction", error);
      }
    }
    const annotation = copy || annotations.addAnnotation({ userGenerate: true });
    annotations.selectAnnotation(annotation.id);
    if (copy) untouchedCopy = regionsOf(copy);
    else options.prediction_id = null; // nothing was copied: the work starts from scratch
  }

  new LabelStudio("label-studio", {
    config: options.config,
    interfaces: [
      "panel", "update", "submit", "controls", "side-column", "topbar", "edit-history",
      "annotations:current", "annotations:menu", "predictions:menu",
    ],
    user: options.user,
    task: options.task,
    onStorageInitialized: startAnnotation,
    onSubmitAnnotation: onSubmit,
    onUpdateAnnotation: onSubmit,
    onSubmitDraft: (_store, annotation) =>
      queue(() => saveDraft(regionsOf(annotation))).catch(failed("Saving the draft")),
  });

  document.getElementById("save-draft").addEventListener("click", () => {
    const annotation = store && store.annotationStore.selected;
    if (!annotation) return;
    queue(() => saveDraft(regionsOf(annotation))).catch(failed("Saving the draft"));
  });
})();
