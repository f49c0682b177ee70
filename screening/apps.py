from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "screening"
    verbose_name = "摸排与资格研判"

    def ready(self):
        from . import list_exports  # noqa: F401  (registers the 回头看 export)
