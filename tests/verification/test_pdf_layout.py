"""Printed tables keep short values on one line (names, ID numbers, dates, 公积金)."""

import io

import pytest
from pypdf import PdfReader

from households import idnumber
from tests.verification.factories import DataMatchFactory, household_with_members
from verification.services import render_data_match

from .factories import CaseFactory

pytestmark = pytest.mark.django_db


def lines(pdf: bytes) -> list[str]:
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    return text.splitlines()


def test_data_match_columns_fit_names_ids_and_headers(campaign, village_a):
    household, members = household_with_members(village_a, 3)
    for member, name in zip(members, ["欧阳建国", "谭德贵", "谭秀"], strict=True):
        member.name = name
        member.save()
    case = CaseFactory(household=household, campaign=campaign)
    for i, member in enumerate(members):
        DataMatchFactory(
            case=case,
            member=member,
            deposits="123456.78" if i == 0 else 0,
            business="石柱县某某农业专业合作社" if i == 1 else "",
            housing_fund=i == 2,
        )
    text = lines(render_data_match(case))
    header = next(line for line in text if line.startswith("成员"))
    assert header.split()[:3] == ["成员", "身份证号", "比对日期"]
    for column in ("工商登记", "公积金"):  # the old layout broke these one character a line
        assert any(column in line for line in text), column
    for member in members:
        masked = idnumber.mask(member.id_number)
        row = next(line for line in text if masked in line)
        assert row.startswith(f"{member.name} {masked} 2022-11-08"), row
    assert any("123,456.78" in line for line in text)
