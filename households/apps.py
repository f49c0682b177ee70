from django.apps import AppConfig


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = "家庭信息登记"

    def ready(self):
        from . import assistance

        assistance.connect_signals()
