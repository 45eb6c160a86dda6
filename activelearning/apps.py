from django.apps import AppConfig


class ActiveLearningConfig(AppConfig):
    name = "activelearning"
    verbose_name = "Active learning"

    def ready(self) -> None:
        # activelearning listens to projects and training; neither of them imports it.
        from activelearning import receivers
        from projects.signals import completion_submitted
        from training.signals import project_freed, training_run_finished

        # Release first: the count locks the settings row until commit, so it comes last.
        completion_submitted.connect(
            receivers.release_submitted_task, dispatch_uid="activelearning.release_submitted_task"
        )
        completion_submitted.connect(
            receivers.count_submitted_completion,
            dispatch_uid="activelearning.count_submitted_completion",
        )
        project_freed.connect(
            receivers.start_pending_trigger, dispatch_uid="activelearning.start_pending_trigger"
        )
        training_run_finished.connect(
            receivers.preannotate_after_run, dispatch_uid="activelearning.preannotate_after_run"
        )
