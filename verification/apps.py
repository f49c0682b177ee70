from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "verification"
    verbose_name = "核查与审核"

    def ready(self):
        # Register the beat task at start-up: Celery's autodiscovery only runs in a worker, and
        # the embedded scheduler (manage.py run_scheduler) looks tasks up by name.
        from . import tasks  # noqa: F401
