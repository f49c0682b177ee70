"""Dossier forms: upload a scan into a household's file."""

from django import forms

from .models import DocumentKind, Group, default_group


class ScanUploadForm(forms.Form):
    file = forms.FileField(
        label="扫描件", help_text="PDF、JPEG或PNG，按文件内容识别格式；大小上限见系统设置。"
    )
    kind = forms.ChoiceField(label="材料类别", choices=DocumentKind.choices)
    group = forms.ChoiceField(
        label="归入",
        choices=[("", "按材料类别自动")] + Group.choices,
        required=False,
        help_text="变更、回头看、退出等材料归入“动态管理材料”，按日期排在原始审批材料之后。",
    )
    title = forms.CharField(label="题名", max_length=200)
    doc_number = forms.CharField(label="文号", max_length=60, required=False)
    responsible = forms.CharField(label="责任者", max_length=100, required=False)
    date = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label="备注", max_length=200, required=False)

    def clean_file(self):
        """Images must decode: a broken JPEG would otherwise be filed (PDFs are checked on save)."""
        upload = self.cleaned_data["file"]
        upload.seek(0)
        head = upload.read(8)
        upload.seek(0)
        if head.startswith((b"\xff\xd8\xff", b"\x89PNG")):
            from django.conf import settings
            from PIL import Image

            from verification.scanguard import image_header_error

            # The header alone: an image bomb is refused before any pixel is decoded.
            error = image_header_error(upload.read(), settings.SCAN_MAX_PIXELS)
            upload.seek(0)
            if error:
                raise forms.ValidationError(error)
            try:
                with Image.open(upload) as image:
                    image.verify()
            except Exception as exc:
                raise forms.ValidationError("图片文件已损坏或不完整，无法读取。") from exc
            finally:
                upload.seek(0)
        return upload

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") and not cleaned.get("group"):
            cleaned["group"] = default_group(cleaned["kind"])
        return cleaned
