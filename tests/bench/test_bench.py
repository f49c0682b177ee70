"""The bench's own helpers: what they measure must be what the table says they measure."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from bench import excel, load, measure, pdf, screening
from households.importing import import_households_file
from households.models import Asset, Household, Member
from households.synthetic import AS_OF
from tests.factories import UserFactory


def test_latin_copy_keeps_every_character_count_and_the_markup():
    html = '<p class="x" style="font-family: \'Noto Sans CJK SC\'">洗新乡（保合村）：581元</p>'
    latin = pdf.latin_copy(html)
    assert len(latin) == len(html)
    assert not pdf.CJK.search(latin)
    assert latin.startswith('<p class="x" style="font-family: \'Noto Sans CJK SC\'">')
    assert latin.endswith(">abcde fgh581i</p>")


def test_p95_is_the_nearest_rank():
    assert measure.p95([]) is None
    assert measure.p95([5]) == 5
    assert measure.p95(list(range(1, 101))) == 95
    assert measure.p95(list(range(1, 21))) == 19


def test_the_table_pads_chinese_by_display_width():
    rows = [
        measure.Row("a", "研判", 1.5, 0.5, "s", "≤ 3", ratio=3.0, passed=True),
        measure.Row("b", "xx", None, None, "", "≤ 1", note="跳过"),
    ]
    lines = measure.text_table(rows).splitlines()
    assert lines[0].startswith("名称")
    assert measure._width(lines[2]) == measure._width(lines[3])
    assert "✓" in lines[2] and "—" in lines[3]
    assert "[b] 跳过" in lines[-1]
    assert "| 研判 | 1.5 s | 0.5 s | 3.00 | ≤ 3 | ✓ |" in measure.markdown_table(rows)


def test_the_load_generator_only_talks_to_loopback():
    for host in ("10.0.0.1", "example.com", "0.0.0.0"):
        with pytest.raises(ValueError, match="回环"):
            load.Client(host, 80)
    load.Client("127.0.0.1", 80).close()


@pytest.fixture
def small_registry(db, settings):
    settings.APP_TODAY = AS_OF
    call_command("generate_synthetic", households=60, townships=1, stdout=io.StringIO())


def test_the_sql_baseline_returns_each_households_income_sum_and_member_count(small_registry):
    with screening.connection.cursor() as cursor:
        cursor.execute(screening.aggregate_sql())
        got = {pk: (Decimal(total), n) for pk, total, n in cursor.fetchall()}
    totals = {
        h.pk: Decimal(h.total or 0)
        for h in Household.objects.annotate(total=Sum("incomes__amount"))
    }
    counts = dict(Member.objects.values_list("household_id").annotate(n=Count("pk")).order_by())
    assert len(got) == 60
    assert got == {pk: (totals[pk], counts.get(pk, 0)) for pk in totals}


def test_the_inputs_reference_reads_every_household_once_with_its_rows(small_registry):
    """The reference row reads the screening's inputs: one row per household, with the same
    income sum and member count as the baseline, and each other table's rows counted."""
    with screening.connection.cursor() as cursor:
        cursor.execute(screening.inputs_sql())
        rows = cursor.fetchall()
        cursor.execute(screening.aggregate_sql())
        baseline = {pk: (Decimal(total), n) for pk, total, n in cursor.fetchall()}
    assert len(rows) == len({r[0] for r in rows}) == 60
    assert {r[0]: (Decimal(r[3] or 0), r[4] or 0) for r in rows} == baseline
    assets = dict(Asset.objects.values_list("household_id").annotate(n=Count("pk")).order_by())
    assert {r[0]: r[6] or 0 for r in rows} == {pk: assets.get(pk, 0) for pk in baseline}


def test_the_import_file_is_accepted_with_exactly_the_rows_asked_for(small_registry, tmp_path):
    path = tmp_path / "import.xlsx"
    counts = excel.write_import_file(path, member_rows=250)
    assert counts["家庭成员"] == 250
    assert counts["收入"] > 0 and counts["财产"] > 0
    user = UserFactory(role="office", township=None)
    before = Household.objects.count()
    with path.open("rb") as fh:
        result = import_households_file(actor=user, fileobj=fh, filename="x.xlsx")
    assert result.ok, [str(e) for e in result.errors[:5]]
    assert Household.objects.count() == before + counts["households"]
    assert Member.objects.filter(household__code__contains="-IMP").count() == 250
