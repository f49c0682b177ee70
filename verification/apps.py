from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "verification"
    verbose_name = "核查与审核"

    def ready(self):
        # Register the beat task at start-up: Celery's autodiscovery only runs in a worker, and
        # the embedded scheduler (manage.py run_scheduler) looks tasks up by name.
        # The registry offers a hook; verification says when a withdrawal comes too late.
        from households.services import WITHDRAW_GUARDS

        from . import list_exports, tasks  # noqa: F401  (list_exports: the 导出Excel lists)
        from .services.cases import refuse_withdrawal_after_review

        if refuse_withdrawal_after_review not in WITHDRAW_GUARDS:
            WITHDRAW_GUARDS.append(refuse_withdrawal_after_review)
