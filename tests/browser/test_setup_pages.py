"""The setup pages in a real browser: login, the config editor, the Model Training tab, the model
list. No Spark runs here: where a training has to progress, the test moves the run through its
statuses with the same services the worker calls (each such test says so in its docstring).
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from projects import services as project_services
from projects.models import Project
from tests.personas import MIXED_CONFIG, choice, span
from training import services
from training.jobs import lifecycle
from training.jobs.directory import job_dir
from training.models import JobStatus, ModelSource, NlpModel, TrainingRun, Trigger

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "Patient denies chest pain but has pneumonia."
POLLED = 10_000  # ms: the training tab polls the status every 2 s


@pytest.fixture
def labelled(project: Project, make_task: Any, anna: Any) -> Project:
    """Three tasks with submitted NER, assertion and classification labels: enough to train."""
    for _ in range(3):
        project_services.completion_create(
            task=make_task(TEXT),
            actor=anna,
            result=[
                span(TEXT, "chest pain", "Symptom", "r1"),
                span(TEXT, "chest pain", "Absent", "r2"),
                span(TEXT, "pneumonia", "Disease", "r3"),
                choice("age", "Adult"),
            ],
            submit=True,
        )
    return project


def register_trained_model(run: TrainingRun, *, log: str = "") -> NlpModel:
    """The registry row a finished NER training leaves behind (what the runner's _register does)."""
    return NlpModel.objects.create(
        name=services.next_model_name(project=run.project, model_type="ner", trigger=run.trigger),
        type="ner",
        project=run.project,
        source=ModelSource.TRAINED,
        labels=["Symptom", "Disease"],
        trained_at=timezone.now(),
        trigger=run.trigger,
        training_run=run,
        params=run.params,
        training_completions=12,
        metrics={
            "micro": {"precision": 0.8, "recall": 0.8, "f1": 0.8},
            "macro": {"precision": 0.75, "recall": 0.75, "f1": 0.75},
            "per_label": {
                "Symptom": {"precision": 0.9, "recall": 0.9, "f1": 0.9, "support": 3},
                "Disease": {"precision": 0.7, "recall": 0.7, "f1": 0.7, "support": 3},
            },
        },
        path="/nowhere/no-spark-in-browser-tests",
        log=log,
    )


def finish_run(run: TrainingRun, model: NlpModel) -> None:
    result = {"model_type": "ner", "status": JobStatus.SUCCEEDED, "model": model.name, "error": ""}
    results = [result]
    assert lifecycle.job_finish(job=run, status=JobStatus.SUCCEEDED, results=results)


def open_training_tab(page: Page, live_server: Any, project: Project) -> None:
    page.goto(f"{live_server.url}/projects/{project.name}/setup/#training")
    expect(page.locator("#training-tab")).to_be_visible()


def test_login_lists_projects_and_opens_the_dashboard(
    page: Page, live_server: Any, login: Any, sign_in: Any, labelled: Project, mike: Any
) -> None:
    login_page = f"{live_server.url}/accounts/login/"
    page.goto(login_page)
    page.fill("#id_username", "mike")
    page.fill("#id_password", "wrong")
    page.locator("form [type=submit]").click()
    expect(page.get_by_role("alert")).to_contain_text("didn't match")

    sign_in(page, mike)
    assert page.url == f"{live_server.url}/"
    page.get_by_role("link", name="clinic").click()
    counts = page.locator("#task-counts")
    expect(counts).to_contain_text("Submitted")
    expect(counts.locator("tr", has_text="Submitted")).to_contain_text("3")
    expect(page.locator("#work-counts")).to_contain_text("Submitted completions")
    expect(page.get_by_role("navigation", name="Project pages")).to_contain_text("Setup")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    page.goto(f"{live_server.url}/projects/clinic/")
    assert page.url == f"{live_server.url}/accounts/login/?next=/projects/clinic/"


def test_team_tab_adds_and_removes_members_in_priority_order(
    page: Page, live_server: Any, sign_in: Any, project: Project, mike: Any, oscar: Any
) -> None:
    sign_in(page, mike)
    page.goto(f"{live_server.url}/projects/clinic/setup/#team")
    rows = page.locator("#members tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("alice")
    expect(rows.first).to_contain_text("owner")

    form = page.locator("#member-add")
    form.get_by_label("Username").fill("oscar")
    form.get_by_label("Role").select_option("reviewer")
    form.get_by_label("Priority").fill("2")
    form.get_by_role("button", name="Add member").click()
    oscar_row = page.locator("#members tr[data-username='oscar']")
    expect(oscar_row).to_contain_text("reviewer")
    # Priority order, ties by name: oscar (2) comes before anna (3).
    usernames = [row.get_attribute("data-username") for row in rows.all()]
    assert usernames == ["alice", "mike", "oscar", "anna", "rita"]

    form.get_by_label("Username").fill("nobody")
    form.get_by_role("button", name="Add member").click()
    expect(form.locator("[data-role=error]")).to_contain_text("No user named 'nobody'")

    page.once("dialog", lambda dialog: dialog.accept())
    oscar_row.get_by_role("button", name="Remove").click()
    expect(oscar_row).to_have_count(0)
    assert not project.memberships.filter(user=oscar).exists()


def test_roles_decide_which_pages_open(
    page: Page, live_server: Any, sign_in: Any, project: Project, anna: Any, oscar: Any
) -> None:
    sign_in(page, anna)
    page.goto(f"{live_server.url}/projects/clinic/")
    nav = page.get_by_role("navigation", name="Project pages")
    expect(nav).to_contain_text("Annotate")
    expect(nav).not_to_contain_text("Setup")
    expect(nav).not_to_contain_text("Review")
    for path in ("setup/", "review/"):
        response = page.goto(f"{live_server.url}/projects/clinic/{path}")
        assert response is not None and response.status == 403
        expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()

    page.context.clear_cookies()
    sign_in(page, oscar)
    response = page.goto(f"{live_server.url}/projects/clinic/")
    assert response is not None and response.status == 404


def test_config_editor_shows_an_error_with_its_line_then_saves_the_fix(
    page: Page, live_server: Any, sign_in: Any, project: Project, mike: Any
) -> None:
    sign_in(page, mike)
    page.goto(f"{live_server.url}/projects/clinic/setup/")
    expect(page.locator("#config-state")).to_have_text("valid")
    expect(page.locator("#config-preview")).to_contain_text("Symptom")
    save = page.locator("#config-save")

    broken = MIXED_CONFIG.replace('<Label value="Disease"/>', '<Lable value="Disease"/>')
    page.fill("#config-text", broken)
    error = page.locator("#config-errors li")
    expect(error).to_have_count(1)
    expect(error).to_contain_text("Line 5")
    expect(error).to_contain_text("<Lable>")
    expect(save).to_be_disabled()

    fixed = MIXED_CONFIG.replace('<Label value="Disease"/>', '<Label value="Drug"/>')
    page.fill("#config-text", fixed)
    expect(error).to_have_count(0)
    expect(page.locator("#config-preview")).to_contain_text("Drug")
    expect(save).to_be_enabled()
    save.click()
    expect(page.locator("#config-save-status")).to_have_text("Saved.")
    project.refresh_from_db()
    assert '<Label value="Drug"/>' in project.labeling_config


def test_training_parameters_refuse_out_of_range_values_inline(
    page: Page, live_server: Any, sign_in: Any, labelled: Project, mike: Any
) -> None:
    sign_in(page, mike)
    open_training_tab(page, live_server, labelled)
    page.get_by_role("button", name="Training parameters").click()
    dialog = page.locator("#params-dialog")
    expect(dialog).to_be_visible()

    page.fill("#p-epochs", "0")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_visible()  # refused: the popup stays open
    expect(dialog.locator('[data-error-for="params.epochs"]')).to_contain_text("from 1 to 500")
    expect(page.locator("#p-epochs")).to_have_class("invalid")

    # A value only the server can judge: no task carries the tag, so nothing is selected.
    page.fill("#p-epochs", "5")
    page.fill("#p-tags", "gold")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#params-summary")).to_contain_text("5 epochs")
    page.get_by_role("button", name="Train Now").click()
    page.locator("#deploy-dialog").get_by_role("button", name="Only train").click()
    expect(page.locator("#training-progress")).to_contain_text("No completions are selected")
    assert not TrainingRun.objects.exists()


def test_train_now_shows_progress_success_and_the_model_is_deployed_from_the_model_list(
    page: Page, live_server: Any, sign_in: Any, save_screenshot: Any, labelled: Project, mike: Any
) -> None:
    """Simulates the worker: the run the page queued through the real API is claimed, advanced
    and finished from the test with training.jobs.lifecycle (job_claim, run_progress, job_finish),
    with the registry row a finished NER training leaves; Spark never starts. Deploy-on-finish is
    the child's part (training.pipeline.train), left out here, so the model is deployed from the
    model list.
    """
    sign_in(page, mike)
    open_training_tab(page, live_server, labelled)
    train = page.get_by_role("button", name="Train Now")
    expect(train).to_be_enabled()

    page.get_by_role("button", name="Training parameters").click()
    dialog = page.locator("#params-dialog")
    dialog.get_by_role("checkbox", name="assertion").uncheck()
    dialog.get_by_role("checkbox", name="classification").uncheck()
    page.fill("#p-epochs", "4")
    dialog.get_by_role("button", name="Save").click()

    train.click()
    expect(page.locator("#deploy-dialog")).to_contain_text("Deploy the new models immediately?")
    page.get_by_role("button", name="Train and deploy").click()
    progress = page.locator("#training-progress")
    expect(progress).to_contain_text("queued")
    expect(train).to_be_disabled()
    run = TrainingRun.objects.get(project=labelled)
    assert (run.status, run.deploy, run.model_types) == (JobStatus.QUEUED, "always", ["ner"])
    assert run.params["epochs"] == 4

    assert lifecycle.job_claim(job=run)
    lifecycle.run_progress(run=run, model_type="ner", epoch=1, epochs=4)
    expect(progress).to_contain_text("NER model · epoch 1/4", timeout=POLLED)
    expect(progress.locator("[data-role=fill]")).to_have_attribute(
        "style", "width: 25%;", timeout=POLLED
    )
    expect(train).to_be_disabled()

    model = register_trained_model(run, log="epoch 4/4 loss 0.12\nmicro f1 0.80\n")
    finish_run(run, model)
    expect(progress).to_contain_text(
        "Training succeeded: ner_clinic_annotation_manual_v1", timeout=POLLED
    )
    expect(progress).to_have_class("progress-box success")
    expect(train).to_be_enabled()
    expect(page.locator("#recent-models")).to_contain_text("ner_clinic_annotation_manual_v1")
    history = page.locator("#history tbody tr").first
    expect(history).to_contain_text("succeeded")
    expect(history).to_contain_text("manual")
    expect(history).to_contain_text("0.80")
    expect(page.locator("#f1-chart svg circle")).to_have_count(2)
    save_screenshot(page, "model-training-tab")

    page.goto(f"{live_server.url}/models/?project=clinic")
    row = page.locator("#models tr[data-model='ner_clinic_annotation_manual_v1']")
    expect(row).to_contain_text("ner")
    expect(row).to_contain_text("0.80 / 0.80 / 0.80")
    # Hovering the model tells when it was trained and whether by hand or by active learning.
    row.locator("label.model-name").hover()
    hover = row.locator("label.model-name").get_attribute("title") or ""
    assert hover.startswith("Trained ") and "manually" in hover
    row.get_by_role("radio").check()
    expect(page.locator("#deploy-project")).to_have_value("clinic")
    page.get_by_role("button", name="Deploy", exact=True).click()
    config = page.locator("#deploy-config")
    expect(config).to_contain_text('model="ner_clinic_annotation_manual_v1"')
    expect(page.locator("#deploy-message")).to_contain_text("is deployed in clinic")
    expect(row).to_contain_text("clinic", timeout=POLLED)
    save_screenshot(page, "model-list")

    labelled.refresh_from_db()
    assert 'model="ner_clinic_annotation_manual_v1"' in labelled.labeling_config
    page.goto(f"{live_server.url}/projects/clinic/setup/#config")
    expect(page.locator("#config-text")).to_have_value(labelled.labeling_config)
    expect(page.locator("#config-preview .model").first).to_have_text(
        "ner_clinic_annotation_manual_v1"
    )


def test_train_now_is_disabled_while_busy_and_reenables_with_the_failure_reason(
    page: Page, live_server: Any, sign_in: Any, labelled: Project, mike: Any
) -> None:
    """Simulates the worker: a running run is failed from the test with training.jobs.lifecycle."""
    run = TrainingRun.objects.create(
        project=labelled,
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        model_types=["ner"],
    )
    sign_in(page, mike)
    open_training_tab(page, live_server, labelled)
    train = page.get_by_role("button", name="Train Now")
    expect(page.locator("#training-progress")).to_contain_text("preparing the data")
    expect(train).to_be_disabled()
    expect(train).to_have_attribute("title", "A training of this project is queued or running.")

    lifecycle.job_finish(job=run, status=JobStatus.FAILED, error="the JVM ran out of memory")
    expect(train).to_be_enabled(timeout=POLLED)
    expect(page.locator("#training-progress")).to_contain_text(
        "Training failed: the JVM ran out of memory"
    )


def test_active_learning_switch_frequency_survives_a_reload(
    page: Page, live_server: Any, sign_in: Any, labelled: Project, mike: Any
) -> None:
    sign_in(page, mike)
    open_training_tab(page, live_server, labelled)
    switch = page.get_by_role("switch")
    expect(switch).to_be_enabled()
    expect(switch).not_to_be_checked()
    expect(page.locator("#al-frequency")).to_be_hidden()

    page.locator("label.switch").click()
    prompt = page.locator("#al-deploy-dialog")
    expect(prompt).to_contain_text("Deploy each newly trained model")
    prompt.get_by_role("button", name="Only train").click()
    expect(page.locator("#al-frequency")).to_be_visible()
    with page.expect_response(lambda r: "active-learning" in r.url and r.request.method == "PUT"):
        page.select_option("#al-frequency", "100")
    with page.expect_response(lambda r: "active-learning" in r.url and r.request.method == "PUT"):
        page.select_option("#al-strategy", "random")

    page.reload()
    expect(page.get_by_role("switch")).to_be_checked()
    expect(page.locator("#al-frequency")).to_have_value("100")
    expect(page.locator("#al-strategy")).to_have_value("random")
    expect(page.locator("#al-info")).to_contain_text("not deployed automatically")


def test_download_the_log_of_a_model_and_all_logs_of_its_run(
    page: Page,
    live_server: Any,
    sign_in: Any,
    labelled: Project,
    mike: Any,
    settings: Any,
    tmp_path: Any,
) -> None:
    """Simulates the worker: a finished run with its log files, as the runner leaves them."""
    settings.VAR_DIR = tmp_path  # the live server runs in this process: it reads the same settings
    run = TrainingRun.objects.create(
        project=labelled, status=JobStatus.RUNNING, model_types=["ner"], trigger=Trigger.MANUAL
    )
    model = register_trained_model(run, log="NerDLApproach epochs=10\nmicro f1 0.80\n")
    (job_dir(run) / "run.log").write_text("run started\nrun finished\n")
    (job_dir(run) / f"{model.name}.log").write_text(model.log)
    finish_run(run, model)

    sign_in(page, mike)
    open_training_tab(page, live_server, labelled)
    with page.expect_download() as download_info:
        page.get_by_role("link", name=f"Download the training log of {model.name}").click()
    download = download_info.value
    assert download.suggested_filename == f"{model.name}.log"
    assert "NerDLApproach epochs=10" in open(download.path(), encoding="utf-8").read()

    with page.expect_download() as download_info:
        page.get_by_role("link", name=f"Download all logs of run {run.pk}").click()
    with zipfile.ZipFile(io.BytesIO(open(download_info.value.path(), "rb").read())) as archive:
        assert sorted(archive.namelist()) == sorted(["run.log", f"{model.name}.log"])
        assert archive.read("run.log") == b"run started\nrun finished\n"
