"""Which test covers which row of ../shared/spec/api.md, in one place (checked by test_coverage).

A row is a (METHOD, path) of api.md: the rows of its method/path tables, and the endpoints its
prose names in code spans (``GET /api/schema/``, the training-data preview, the Label Studio
``/ml/`` paths). The path is written as api.md writes it, without its query string: the
export row ``/api/projects/{name}/export?format=json|conll...`` is ``/api/projects/{name}/export``.

``ROWS`` maps each built row to the tests that check it through the URL router: success with the
fields api.md promises, 403 for a role that is not allowed, 404 for an outsider or unknown id,
409 where it applies, 400 naming the ``field``. Two tests in ``EVERY_ROW`` run for every row of
api.md (parametrised from this file's parser): anonymous → 401, and both trailing-slash forms
reach a view that serves the method. ``PENDING`` holds the rows of later issues, not built yet;
test_coverage fails when a row is in neither, in both, or names a test that does not exist.
"""

from __future__ import annotations

import re
from pathlib import Path

from bench.shared_data import SHARED_DATA

API_MD = SHARED_DATA.parent / "spec" / "api.md"

_METHOD = r"(?:GET|POST|PUT|PATCH|DELETE)"
_TABLE_HEADER = re.compile(r"^\|\s*method\s*\|\s*path\s*\|", re.IGNORECASE)
_CELL_BORDER = re.compile(r"(?<!\\)\|")
_CODE_SPAN = re.compile(rf"`({_METHOD}) (/[^`\s]*)`")


def _path(raw: str) -> str:
    return raw.strip().strip("`").split("?", 1)[0]


def spec_rows(path: Path = API_MD) -> dict[tuple[str, str], str]:
    """Every (METHOD, path) of api.md, with the heading of the section it is in."""
    rows: dict[tuple[str, str], str] = {}
    section = ""
    in_table = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            section = line.lstrip("#").strip()
        if not line.startswith("|"):
            in_table = False
        elif _TABLE_HEADER.match(line):
            in_table = True
            continue
        elif in_table and not set(line) <= set("|- "):
            cells = _CELL_BORDER.split(line)
            for method in cells[1].split(","):
                rows.setdefault((method.strip().upper(), _path(cells[2])), section)
            continue
        for method, raw in _CODE_SPAN.findall(line):
            rows.setdefault((method, _path(raw)), section)
    return rows


# The conventions tests, parametrised over every built row of api.md.
EVERY_ROW = [
    "tests/api/test_contract_conventions.py::test_every_row_answers_anonymous_callers_401",
    "tests/api/test_contract_conventions.py::test_every_row_routes_with_and_without_trailing_slash",
]

_AUTH = "tests/api/test_contract_auth.py"
_PROJECTS = "tests/api/test_contract_projects.py"
_TASKS = "tests/api/test_contract_tasks.py"
_COMPLETIONS = "tests/api/test_contract_completions.py"
_TRAINING = "tests/api/test_contract_training.py"
_MODELS = "tests/api/test_contract_models.py"
_PREANNOTATION = "tests/api/test_contract_preannotation.py"
_CONVENTIONS = "tests/api/test_contract_conventions.py"
_CORE = "tests/projects/test_api.py"
_TRAINING_API = "tests/training/test_training_api.py"
_PREANNOTATION_API = "tests/training/test_preannotation.py"
_AL_SETTINGS = "tests/activelearning/test_settings_and_counting.py"
_NEXT_TASK = "tests/activelearning/test_next_task.py"
_DEPLOYMENTS = "tests/training/test_deployments.py"
_TRUST = "tests/training/test_model_trust.py"
_USEFULNESS = "tests/training/test_usefulness.py"
_MODEL_FILES = "tests/api/test_contract_model_files.py"
_MODEL_FILES_SPARK = "tests/training/test_model_files_spark.py"
_ML = "tests/labelstudio/test_ml_backend_api.py"
_REAL_LS = "tests/labelstudio/test_real_label_studio.py"

ROWS: dict[tuple[str, str], list[str]] = {
    # Auth and users
    ("POST", "/api/auth/token/"): [
        f"{_AUTH}::test_token_login_answers_a_token_that_authenticates",
        f"{_AUTH}::test_token_login_with_bad_credentials_is_400",
        f"{_CORE}::test_anonymous_gets_401_and_token_login_works",
    ],
    ("POST", "/api/users/"): [
        f"{_AUTH}::test_site_admin_creates_a_user",
        f"{_AUTH}::test_only_a_site_admin_creates_users",
        f"{_AUTH}::test_user_creation_names_the_bad_field",
    ],
    # Projects
    ("GET", "/api/projects/"): [
        f"{_PROJECTS}::test_project_list_is_paginated_and_shows_the_callers_projects",
    ],
    ("POST", "/api/projects/"): [
        f"{_PROJECTS}::test_project_create_answers_201_and_the_caller_owns_it",
        f"{_PROJECTS}::test_project_create_names_the_bad_field_and_stores_nothing",
    ],
    ("GET", "/api/projects/{name}/"): [
        f"{_PROJECTS}::test_project_detail_for_every_member_404_for_others",
    ],
    ("PATCH", "/api/projects/{name}/"): [
        f"{_PROJECTS}::test_project_patch_changes_the_fields_api_md_names",
        f"{_PROJECTS}::test_project_patch_is_for_owner_and_manager",
        f"{_PROJECTS}::test_project_patch_names_the_bad_field_and_stores_nothing",
    ],
    ("DELETE", "/api/projects/{name}/"): [
        f"{_PROJECTS}::test_project_delete_is_for_the_owner_only",
    ],
    ("PUT", "/api/projects/{name}/config"): [
        f"{_PROJECTS}::test_config_put_stores_a_valid_config",
        f"{_PROJECTS}::test_config_put_answers_every_error_with_its_line_and_stores_nothing",
    ],
    ("POST", "/api/projects/{name}/config/validate"): [
        f"{_PROJECTS}::test_config_validate_answers_valid_and_errors_and_never_stores",
        f"{_PROJECTS}::test_config_validate_roles_and_bad_body",
    ],
    ("GET", "/api/projects/{name}/members/"): [
        f"{_PROJECTS}::test_member_list_is_paginated_in_team_order",
    ],
    ("POST", "/api/projects/{name}/members/"): [
        f"{_PROJECTS}::test_member_add_answers_201_member",
        f"{_PROJECTS}::test_member_add_roles_and_bad_fields",
    ],
    ("DELETE", "/api/projects/{name}/members/{username}/"): [
        f"{_PROJECTS}::test_member_remove_answers_204",
        f"{_PROJECTS}::test_member_remove_roles_and_unknown_members",
    ],
    # Tasks, import, export
    ("POST", "/api/projects/{name}/import"): [
        f"{_TASKS}::test_import_of_a_json_array_answers_the_counts_and_ids",
        f"{_TASKS}::test_import_of_a_multipart_file",
        f"{_TASKS}::test_import_names_each_bad_task_by_index_and_stores_nothing",
        f"{_TASKS}::test_import_is_for_owner_and_manager",
        f"{_CORE}::test_oversized_body_gets_413",
    ],
    ("GET", "/api/projects/{name}/export"): [
        f"{_TASKS}::test_json_export_is_the_task_format",
        f"{_TASKS}::test_conll_export_is_conll_2003_text",
        f"{_TASKS}::test_export_of_an_unknown_format_is_400_naming_format",
        f"{_TASKS}::test_export_is_for_owner_and_manager",
    ],
    ("GET", "/api/projects/{name}/tasks/"): [
        f"{_TASKS}::test_task_list_is_paginated_and_filters_by_tags_and_status",
        f"{_TASKS}::test_task_list_refuses_an_unknown_status",
        f"{_TASKS}::test_task_list_is_404_for_outsiders",
        f"{_CORE}::test_task_filters_tags_status_and_pagination",
        f"{_CORE}::test_annotators_only_see_tasks_assigned_to_them_or_nobody",
    ],
    ("GET", "/api/projects/{name}/tasks/{id}/"): [
        f"{_TASKS}::test_task_detail_for_members_404_for_others_and_unknown_ids",
        f"{_TASKS}::test_a_task_of_another_project_is_404",
    ],
    ("PATCH", "/api/projects/{name}/tasks/{id}/"): [
        f"{_TASKS}::test_task_patch_sets_tags_reviewer_and_annotators",
        f"{_TASKS}::test_task_patch_names_the_bad_field_and_stores_nothing",
        f"{_TASKS}::test_task_patch_and_delete_are_for_owner_and_manager",
    ],
    ("DELETE", "/api/projects/{name}/tasks/{id}/"): [
        f"{_TASKS}::test_task_delete_answers_204_and_removes_it",
        f"{_TASKS}::test_task_patch_and_delete_are_for_owner_and_manager",
    ],
    # Completions and reviews
    ("POST", "/api/projects/{name}/tasks/{id}/completions/"): [
        f"{_COMPLETIONS}::test_completion_create_answers_201_completion",
        f"{_COMPLETIONS}::test_completion_create_names_the_bad_field_and_stores_nothing",
        f"{_COMPLETIONS}::test_completion_create_is_for_annotating_roles",
    ],
    ("PATCH", "/api/completions/{id}/"): [
        f"{_COMPLETIONS}::test_draft_patch_changes_result_star_and_lead_time",
        f"{_COMPLETIONS}::test_patch_of_a_submitted_completion_is_409",
        f"{_COMPLETIONS}::test_draft_patch_names_the_bad_field",
        f"{_COMPLETIONS}::test_only_the_author_patches_a_draft",
    ],
    ("POST", "/api/completions/{id}/submit"): [
        f"{_COMPLETIONS}::test_submit_answers_200_submitted_completion_then_409",
        f"{_COMPLETIONS}::test_only_the_author_submits",
    ],
    ("POST", "/api/completions/{id}/review"): [
        f"{_COMPLETIONS}::test_review_answers_200_completion_with_its_review",
        f"{_COMPLETIONS}::test_review_is_for_reviewer_manager_and_owner",
        f"{_COMPLETIONS}::test_review_names_the_bad_field_and_refuses_drafts",
    ],
    # Training data
    ("GET", "/api/projects/{name}/training-data"): [
        f"{_TRAINING}::test_training_data_answers_each_tasks_reason_and_the_counts",
        f"{_TRAINING}::test_training_data_roles_and_bad_input",
        "tests/projects/test_selection.py::test_training_data_endpoint",
    ],
    # Training
    ("POST", "/api/projects/{name}/trainings/"): [
        f"{_TRAINING}::test_train_answers_202_a_queued_run_and_a_second_is_409",
        f"{_TRAINING}::test_train_is_409_while_a_preannotation_runs",
        f"{_TRAINING}::test_train_names_the_bad_field_and_stores_nothing",
        f"{_TRAINING}::test_train_with_nothing_to_train_is_400",
        f"{_TRAINING}::test_train_is_for_owner_and_manager",
        f"{_TRAINING_API}::test_out_of_range_params_are_400_with_the_field",
    ],
    ("GET", "/api/projects/{name}/trainings/"): [
        f"{_TRAINING}::test_run_list_is_paginated_newest_first",
        f"{_TRAINING}::test_run_list_is_for_owner_and_manager",
    ],
    ("GET", "/api/projects/{name}/trainings/{id}/"): [
        f"{_TRAINING}::test_run_detail",
        f"{_TRAINING}::test_run_detail_of_an_unknown_or_other_projects_run_is_404",
    ],
    ("POST", "/api/projects/{name}/trainings/{id}/cancel"): [
        f"{_TRAINING}::test_cancel_answers_200_cancelled_run_deploying_nothing_then_409",
        f"{_TRAINING}::test_cancel_roles_and_unknown_runs",
        # a running run (real Spark child): it ends cancelled and deploys nothing
        "tests/training/test_training_supervision.py::test_cancel_kills_the_child_and_deploys_nothing",
    ],
    ("GET", "/api/projects/{name}/trainings/{id}/logs"): [
        f"{_TRAINING}::test_run_logs_are_a_zip_of_every_log_file",
        f"{_TRAINING}::test_run_logs_roles_and_unknown_runs",
    ],
    ("GET", "/api/projects/{name}/status"): [
        f"{_TRAINING}::test_status_while_a_run_is_queued_and_after_it_ends",
        f"{_TRAINING}::test_status_shows_a_running_preannotation",
        f"{_TRAINING}::test_status_is_404_for_outsiders",
    ],
    # Models
    ("GET", "/api/models/"): [
        f"{_MODELS}::test_model_list_is_paginated_and_filters_by_project_and_type",
        f"{_MODELS}::test_model_list_hides_projects_the_caller_is_not_in",
        f"{_MODELS}::test_model_list_refuses_an_unknown_type",
    ],
    ("GET", "/api/models/{model}/"): [
        f"{_MODELS}::test_model_detail_carries_every_field",
        f"{_MODELS}::test_model_detail_of_another_projects_or_an_unknown_model_is_404",
    ],
    ("GET", "/api/models/{model}/logs"): [
        f"{_MODELS}::test_model_logs_are_its_training_log_as_text",
        f"{_MODELS}::test_model_logs_of_another_projects_or_an_unknown_model_are_404",
    ],
    ("POST", "/api/projects/{name}/deploy"): [
        f"{_MODELS}::test_deploy_answers_200_project_with_the_models_bound",
        f"{_MODELS}::test_deploy_names_models_when_one_is_unknown_or_of_another_project",
        f"{_MODELS}::test_deploy_of_an_invalid_combination_is_400",
        f"{_MODELS}::test_deploy_is_for_owner_and_manager",
        f"{_TRAINING_API}::test_deploy_binds_models_and_leaves_registered_labels_alone",
    ],
    ("POST", "/api/models/{model}/evaluate"): [
        f"{_TRUST}::test_evaluate_roles_and_refusals",
        f"{_TRUST}::test_if_better_deploys_the_better_model_and_keeps_the_worse_out",
    ],
    ("GET", "/api/projects/{name}/deployments/"): [
        f"{_DEPLOYMENTS}::test_a_manual_deploy_is_recorded_with_the_full_maps_and_listed_newest_first",
        f"{_DEPLOYMENTS}::test_a_deploy_that_changes_nothing_is_recorded_too",
        f"{_DEPLOYMENTS}::test_a_runs_deploy_records_the_run_and_its_trigger",
        f"{_DEPLOYMENTS}::test_the_admin_action_is_a_recorded_manual_deployment",
        f"{_DEPLOYMENTS}::test_the_list_is_paginated",
        f"{_DEPLOYMENTS}::test_roles",
    ],
    ("POST", "/api/projects/{name}/deployments/{id}/restore"): [
        f"{_DEPLOYMENTS}::test_restore_binds_exactly_the_recorded_models_and_is_itself_recorded",
        f"{_DEPLOYMENTS}::test_restore_leaves_tags_the_config_gained_since_alone",
        f"{_DEPLOYMENTS}::test_restore_of_a_deleted_model_is_400_naming_it_and_changes_nothing",
        f"{_DEPLOYMENTS}::test_restore_of_a_model_whose_folder_is_gone_is_400_naming_it",
        f"{_DEPLOYMENTS}::test_restore_of_a_folder_without_metadata_is_400",
        f"{_DEPLOYMENTS}::test_restore_of_a_tag_removed_since_is_400_naming_it",
        f"{_DEPLOYMENTS}::test_restore_of_an_unknown_or_other_projects_record_is_404",
        f"{_DEPLOYMENTS}::test_roles",
    ],
    # Pre-annotation
    ("POST", "/api/projects/{name}/preannotations/"): [
        f"{_PREANNOTATION_API}::test_start_queues_the_open_tasks_and_enqueues_on_commit",
        f"{_PREANNOTATION_API}::test_nothing_deployed_is_400",
        f"{_PREANNOTATION_API}::test_task_ids_outside_the_project_are_400",
        f"{_PREANNOTATION_API}::test_training_blocks_preannotation",
        f"{_PREANNOTATION_API}::test_preannotation_blocks_training_and_another_preannotation",
        f"{_PREANNOTATION_API}::test_only_managers_preannotate",
        f"{_PREANNOTATION}::test_preannotate_answers_202_job_and_names_bad_task_ids",
    ],
    ("GET", "/api/projects/{name}/preannotations/{id}/"): [
        f"{_PREANNOTATION}::test_job_detail",
        f"{_PREANNOTATION}::test_job_detail_roles_and_unknown_jobs",
    ],
    ("GET", "/api/projects/{name}/tasks/{id}/predictions/"): [
        f"{_PREANNOTATION_API}::test_predictions_of_a_task_newest_first_for_whoever_sees_the_task",
        f"{_PREANNOTATION}::test_predictions_carry_confidence_and_unknown_tasks_are_404",
    ],
    # Active learning
    ("GET", "/api/projects/{name}/active-learning"): [
        f"{_AL_SETTINGS}::test_defaults_before_anything_is_configured",
        f"{_AL_SETTINGS}::test_only_owner_and_manager_see_and_change_the_settings",
        f"{_AL_SETTINGS}::test_only_newly_submitted_completions_count",
    ],
    ("PUT", "/api/projects/{name}/active-learning"): [
        f"{_AL_SETTINGS}::test_put_stores_and_get_returns_the_settings",
        f"{_AL_SETTINGS}::test_bad_values_are_400_with_the_field_and_nothing_is_stored",
        f"{_AL_SETTINGS}::test_only_owner_and_manager_see_and_change_the_settings",
    ],
    ("GET", "/api/projects/{name}/next-task"): [
        f"{_NEXT_TASK}::test_sequential_hands_out_the_lowest_open_task_and_reserves_it",
        f"{_NEXT_TASK}::test_204_when_nothing_is_left",
        f"{_NEXT_TASK}::test_roles",
        f"{_NEXT_TASK}::test_an_unknown_strategy_is_400",
    ],
    # Round 2: does pre-annotation help?
    ("GET", "/api/models/{model}/usefulness"): [
        f"{_USEFULNESS}::test_ner_counts_kept_relabelled_moved_deleted_and_added_regions",
        f"{_USEFULNESS}::test_assertion_counts_status_regions_only",
        f"{_USEFULNESS}::test_classification_counts_one_outcome_per_task_in_its_group",
        f"{_USEFULNESS}::test_a_shared_model_counts_only_the_readers_projects",
        f"{_USEFULNESS}::test_roles_outsiders_and_anonymous",
    ],
    # Round 2: models out and in (issue 20, parts 1 and 2)
    ("GET", "/api/models/{model}/download"): [
        f"{_MODEL_FILES}::test_download_streams_the_pipeline_folder_and_a_readme",
        f"{_MODEL_FILES}::test_download_readme_explains_assertion_and_classification_inputs",
        f"{_MODEL_FILES}::test_download_roles_annotator_and_reviewer_403_outsider_404",
        f"{_MODEL_FILES}::test_download_of_a_model_without_files_is_409",
        f"{_MODEL_FILES}::test_a_shared_model_is_downloaded_by_whoever_manages_a_project",
        f"{_MODEL_FILES_SPARK}::test_a_downloaded_model_predicts_in_plain_spark_nlp_what_annolab_predicts_after_reupload",
    ],
    ("POST", "/api/models/"): [
        f"{_MODEL_FILES}::test_upload_unpacks_and_queues_a_job_on_commit",
        f"{_MODEL_FILES}::test_a_hostile_or_unusable_zip_is_a_400_naming_file_and_nothing_is_kept",
        f"{_MODEL_FILES}::test_a_zip_over_the_size_limit_is_a_400_naming_file",
        f"{_MODEL_FILES}::test_upload_fields_are_checked_before_anything_is_kept",
        f"{_MODEL_FILES}::test_upload_roles_annotator_403_and_a_shared_model_only_by_a_site_admin",
        f"{_MODEL_FILES}::test_upload_takes_multipart_only",
        f"{_MODEL_FILES}::test_a_classifier_trained_elsewhere_gets_annolabs_note_from_the_form",
        f"{_MODEL_FILES}::test_a_lost_upload_is_failed_by_the_reaper_and_keeps_nothing",
        f"{_MODEL_FILES_SPARK}::test_a_downloaded_model_predicts_in_plain_spark_nlp_what_annolab_predicts_after_reupload",
        f"{_MODEL_FILES_SPARK}::test_a_zip_that_is_not_a_spark_model_fails_its_job_and_keeps_nothing",
    ],
    # Label Studio ML backend (label-studio-ml-backend's shapes; the real Label Studio test too)
    ("GET", "/ml/{project}/health"): [
        f"{_ML}::test_health_answers_members_with_their_token_as_basic_password",
        f"{_ML}::test_wrong_or_missing_credentials_are_401_asking_for_basic",
        f"{_ML}::test_outsiders_and_unknown_projects_are_404",
        f"{_REAL_LS}::test_label_studio_uses_annolab_as_its_ml_backend",
    ],
    ("POST", "/ml/{project}/setup"): [
        f"{_ML}::test_setup_stores_label_studio_and_answers_the_deployed_models",
        f"{_ML}::test_a_reviewer_may_not_connect_annotate_or_train",
        f"{_ML}::test_malformed_bodies_are_400_in_the_error_shape",
        f"{_REAL_LS}::test_label_studio_uses_annolab_as_its_ml_backend",
    ],
    ("POST", "/ml/{project}/predict"): [
        f"{_ML}::test_predict_without_a_deployed_model_mirrors_the_tasks_and_answers_empty_results",
        f"{_ML}::test_predict_answers_stored_predictions_in_task_order_with_certainty_as_score",
        f"{_ML}::test_predict_queues_one_preannotation_for_the_unpredicted_tasks_and_waits_for_it",
        f"{_ML}::test_predict_on_a_busy_project_answers_what_is_stored",
        f"{_REAL_LS}::test_label_studio_uses_annolab_as_its_ml_backend",
    ],
    ("POST", "/ml/{project}/webhook"): [
        f"{_ML}::test_an_annotation_becomes_a_submitted_completion_counted_once",
        f"{_ML}::test_an_updated_annotation_replaces_its_completion",
        f"{_ML}::test_a_cancelled_annotation_and_other_events_are_ignored",
        f"{_ML}::test_an_annotation_with_a_bad_span_is_400_and_stores_nothing",
        f"{_ML}::test_start_training_needs_setup_and_an_allowed_hostname",
        f"{_ML}::test_start_training_on_a_busy_project_is_409_before_pulling",
        f"{_REAL_LS}::test_label_studio_uses_annolab_as_its_ml_backend",
    ],
    # Schema
    ("GET", "/api/schema/"): [f"{_CONVENTIONS}::test_schema_is_an_openapi_3_document"],
    ("GET", "/api/docs/"): [f"{_CONVENTIONS}::test_docs_page_is_served"],
}

# Rows of later issues, not built yet (none now). When one is built, move it to ROWS with its
# tests (test_coverage fails while it is in both).
PENDING: dict[tuple[str, str], str] = {}
