"""The screening pages' lists as Excel (xixin_dibao.exports): 回头看."""

from households.models import Household
from xixin_dibao.exports import ListExport, register
from xixin_dibao.xlsx import Col

from .labels import NOT_SCREENED


def lookback_source(user, params):
    """The 回头看 page's households (its reader check, kind filter and order) and their rows."""
    from .views import _campaign, _require_reader, current_results, lookback_queryset

    _require_reader(user)
    campaign = _campaign(user)
    if campaign is None:
        return Household.objects.none(), lambda chunk: []

    def to_rows(chunk):
        results = current_results(campaign, chunk)
        for h in chunk:
            r = results.get(h.pk)
            yield [
                h.code,
                h.head_name,
                h.village.name,
                h.last_exit,
                h.last_refusal,
                r.get_outcome_display() if r else NOT_SCREENED,
                "是" if r and r.near_line else "",
                r.per_capita_income if r else None,
                r.created_at if r else None,
            ]

    return lookback_queryset(campaign, user, params), to_rows


register(
    ListExport(
        key="lookback",
        title="回头看名单",
        columns=(
            Col("户编号", 20),
            Col("户主", 12),
            Col("村", 10),
            Col("退出低保日期", 12, "date"),
            Col("申请未通过日期", 12, "date"),
            Col("最新研判结论", 12),
            Col("临界", 6),
            Col("人均年收入（元）", 14, "money"),
            Col("研判时间", 17, "datetime"),
        ),
        source=lookback_source,
    )
)
