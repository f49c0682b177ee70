from django.urls import path

from . import views

app_name = "archives"

urlpatterns = [
    path("", views.index, name="index"),
    path("households/<int:pk>/", views.household_dossier, name="household"),
    path("households/<int:pk>/build/", views.build, name="build"),
    path("households/<int:pk>/upload/", views.upload, name="upload"),
    path("households/<int:pk>/download/", views.download, name="download"),
    path("households/<int:pk>/versions/<int:version>/", views.download, name="version_download"),
    path("households/<int:pk>/scans/<int:doc_pk>/", views.scan_download, name="scan_download"),
    path("rosters/<str:kind>/", views.roster, name="roster"),
    path("batches/", views.batch_create, name="batch_create"),
    path("batches/<uuid:token>/resume/", views.batch_resume, name="batch_resume"),
]
