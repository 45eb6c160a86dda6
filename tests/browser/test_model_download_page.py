"""The model list's Download button, in a real browser: owners and managers get the model's
Spark NLP pipeline as a zip; an annotator sees no button."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from projects.models import Project
from tests.api.test_contract_model_files import FILES, NER, saved_ner_model
from training.models import NlpModel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def saved_model(project: Project, settings: Any, tmp_path: Path) -> NlpModel:
    settings.MODELS_DIR = tmp_path / "models"
    return saved_ner_model(project, settings.MODELS_DIR)


def test_the_model_list_downloads_a_models_zip(
    page: Page,
    live_server: Any,
    sign_in: Any,
    save_screenshot: Any,
    mike: Any,
    saved_model: NlpModel,
    tmp_path: Path,
) -> None:
    sign_in(page, mike)
    page.goto(f"{live_server.url}/models/?project=clinic")
    button = page.locator(f"#models tr[data-model='{NER}'] [data-role=download]")
    expect(button).to_have_text("Download")
    save_screenshot(page, "model-list-download")
    with page.expect_download() as started:
        button.click()
    download = started.value
    assert download.suggested_filename == f"{NER}.zip"
    saved = tmp_path / "downloaded.zip"
    download.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        assert set(archive.namelist()) == {f"{NER}/{name}" for name in FILES} | {
            f"{NER}/README.txt"
        }
        assert "PipelineModel.load" in archive.read(f"{NER}/README.txt").decode()


def test_an_annotator_sees_no_download_button(
    page: Page, live_server: Any, sign_in: Any, anna: Any, saved_model: NlpModel
) -> None:
    sign_in(page, anna)
    page.goto(f"{live_server.url}/models/?project=clinic")
    row = page.locator(f"#models tr[data-model='{NER}']")
    expect(row).to_be_visible()
    expect(row.locator("[data-role=download]")).to_have_count(0)
