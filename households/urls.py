from django.urls import path

from . import import_views, views

app_name = "households"

urlpatterns = [
    path("", views.household_list, name="list"),
    path("new/", views.household_edit, name="create"),
    path("<int:pk>/", views.household_detail, name="detail"),
    path("<int:pk>/edit/", views.household_edit, name="edit"),
    path("<int:pk>/withdraw/", views.household_withdraw, name="withdraw"),
    path("<int:pk>/restore/", views.household_restore, name="restore"),
    path("withdrawn/", views.withdrawn_list, name="withdrawn"),
    path("check-id/", views.check_id_number, name="check_id"),
    path("import/", import_views.import_households, name="import"),
    path("import/template/", import_views.download_template, name="import_template"),
    path("export/", import_views.export_households, name="export"),
]
