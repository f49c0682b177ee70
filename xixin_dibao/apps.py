from django.apps import AppConfig


class XixinDibaoConfig(AppConfig):
    name = "xixin_dibao"
    verbose_name = "系统与审计"

    def ready(self):
        from . import dashboard_exports, signals  # noqa: F401  (signals: security events)
