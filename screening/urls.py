from django.urls import path

from . import views

app_name = "screening"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("export/", views.export, name="export"),
    path("run/", views.start_run, name="run"),
    path("lookback/", views.lookback, name="lookback"),
    path("lookback/export/", views.lookback_export, name="lookback_export"),
    path("what-if/", views.what_if, name="what_if"),
    path("households/<int:pk>/rescreen/", views.rescreen_household, name="rescreen_household"),
]
