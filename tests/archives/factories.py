"""Factories and small file makers for the archives tests."""

from datetime import date
from decimal import Decimal
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import (
    AssistanceFactory,
    HouseholdFactory,
    IncomeFactory,
    MemberFactory,
    make_id_number,
)

RARE_NAMES = ["王堃", "李喆", "张玥", "刘犇", "陈淼", "赵䶮"]


def household_with_members(village, *, names=("张三", "李四"), code=None, dibao=True, **kwargs):
    """A household whose first member is the head; each member on 低保 when `dibao`."""
    extra = {"code": code} if code else {}
    household = HouseholdFactory(village=village, head_name=names[0], **extra, **kwargs)
    for i, name in enumerate(names):
        member = MemberFactory(
            household=household,
            name=name,
            relation="head" if i == 0 else "child",
            id_number=make_id_number(date(1970 + i, 5, 1)),
        )
        if dibao:
            AssistanceFactory(
                member=member,
                kind="dibao",
                start_date=date(2022, 12, 1),
                monthly_amount=Decimal("420"),
            )
    IncomeFactory(household=household, amount=Decimal("3600"), note="务工收入")
    return household


def pdf_bytes(text: str = "scan", pages: int = 1) -> bytes:
    """A small real PDF (blank pages) made with pypdf."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(fmt: str = "PNG", size=(300, 200)) -> bytes:
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", size, (200, 220, 240)).save(out, fmt)
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)
