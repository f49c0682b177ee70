from django.contrib import admin

from households.admin import ScopedAdmin

from .models import Dossier, DossierDocument


@admin.register(DossierDocument)
class DossierDocumentAdmin(ScopedAdmin):
    list_display = ["household", "title", "kind", "group", "date", "page_count", "source"]
    list_filter = ["source", "group", "kind"]
    search_fields = ["household__code", "title", "doc_number"]
    raw_id_fields = ["household", "uploaded_by"]


@admin.register(Dossier)
class DossierAdmin(ScopedAdmin):
    list_display = ["household", "version", "page_count", "size", "checksum", "built_at"]
    search_fields = ["household__code"]
    readonly_fields = [f.name for f in Dossier._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
