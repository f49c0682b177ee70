"""花名册 open cleanly in LibreOffice: converted headless to PDF, landscape, one page wide, the
column headers repeated on every page (print titles), the totals on the last page.

LibreOffice (libreoffice-calc-nogui) is one of the Makefile's TEST_PACKAGES: `make test`
installs it, so this test runs everywhere the suite runs and never skips.
"""

import subprocess
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from archives.rosters import write_roster
from tests.factories import AssistanceFactory, HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db
PEOPLE = 90  # enough rows for three landscape A4 pages


@pytest.fixture
def long_roll(village_a):
    for i in range(PEOPLE):
        household = HouseholdFactory(village=village_a, code=f"A-{i:04d}", head_name=f"户主{i}")
        member = MemberFactory(household=household, name=f"户主{i}", relation="head")
        AssistanceFactory(
            member=member, kind="dibao", start_date=date(2022, 1, 1), monthly_amount=Decimal("420")
        )


def to_pdf(xlsx, folder):
    profile = folder / "lo-profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(xlsx),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return folder / (xlsx.stem + ".pdf")


def test_roster_prints_with_its_header_on_every_page(long_roll, office_user, tmp_path):
    xlsx = tmp_path / "dibao.xlsx"
    assert write_roster(xlsx, user=office_user, kind="dibao").rows == PEOPLE

    pdf = PdfReader(to_pdf(xlsx, tmp_path))

    pages = ["".join(page.extract_text().split()) for page in pdf.pages]
    assert 3 <= len(pages) <= 6, len(pages)  # about 30 rows a page, never a page per column
    for number, text in enumerate(pages, start=1):
        # Both header rows repeat, up to the last column: the page is one page wide.
        assert "保障对象" in text and "与户主关系" in text and "起始日期" in text, number
        assert f"第{number}页，共{len(pages)}页" in text, number
    everyone = "".join(pages)
    assert all(everyone.count(f"户主{i}户主{i}") == 1 for i in range(PEOPLE))  # no row lost
    box = pdf.pages[0].mediabox
    assert box.width > box.height  # landscape
    assert "合计" in pages[-1] and "合计" not in pages[0]
    assert f"{PEOPLE}户{PEOPLE}人" in pages[-1]
