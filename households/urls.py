from django.urls import path

from . import import_views, register_views, views

app_name = "households"

urlpatterns = [
    path("", views.household_list, name="list"),
    path("new/", views.household_edit, name="create"),
    path("<int:pk>/", views.household_detail, name="detail"),
    path("<int:pk>/edit/", views.household_edit, name="edit"),
    path("<int:pk>/assistance/new/", register_views.record_edit, name="record_create"),
    path(
        "<int:pk>/assistance/<int:record_pk>/edit/", register_views.record_edit, name="record_edit"
    ),
    path("<int:pk>/assistance/<int:record_pk>/end/", register_views.record_end, name="record_end"),
    path("<int:pk>/applications/new/", register_views.application_edit, name="application_create"),
    path(
        "<int:pk>/applications/<int:application_pk>/edit/",
        register_views.application_edit,
        name="application_edit",
    ),
    path("<int:pk>/survey/", views.household_survey, name="survey"),
    path("<int:pk>/withdraw/", views.household_withdraw, name="withdraw"),
    path("<int:pk>/restore/", views.household_restore, name="restore"),
    path("withdrawn/", views.withdrawn_list, name="withdrawn"),
    path("check-id/", views.check_id_number, name="check_id"),
    path("import/", import_views.import_households, name="import"),
    path("import/template/", import_views.download_template, name="import_template"),
    path("import/roster/", import_views.import_roster, name="import_roster"),
    path("import/roster/template/", import_views.roster_template, name="roster_template"),
    path("export/", import_views.export_households, name="export"),
]
