from django.apps import AppConfig


class ActiveLearningConfig(AppConfig):
    name = "activelearning"
    verbose_name = "Active learning"

    def ready(self) -> None:
        # activelearning listens to projects and training; neither of them imports it.
        from activelearning import receivers
        from projects.signals import completion_submitted
        from training.signals import project_freed

        # Release first: the count locks the settings row until commit, so it comes last.
        completion_submitted.connect(
            receivers.release_submitted_task, dispatch_uid="activelearning.release_submitted_task"
        )
        completion_submitted.connect(
            receivers.count_submitted_completion,
            dispatch_uid="activelearning.count_submitted_completion",
        )
        project_freed.connect(receivers.after_job, dispatch_uid="activelearning.after_job")
