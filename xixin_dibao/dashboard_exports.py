"""The dashboard's drill-down lists as Excel (xixin_dibao.exports)."""

from households.models import Household

from .exports import ListExport, register
from .xlsx import Col


def drill_source(user, params):
    """The households behind one figure, with the page's campaign, village and office-only check."""
    from .dashboard_views import campaign_from, drill_queryset

    campaign = campaign_from(user, params)
    if campaign is None:
        return Household.objects.none(), lambda chunk: []

    def to_rows(chunk):
        for h in chunk:
            yield [
                h.code,
                h.head_name,
                h.village.name,
                h.group.name if h.group_id else "",
                h.address,
            ]

    return drill_queryset(user, campaign, params), to_rows


register(
    ListExport(
        key="dashboard_households",
        title="看板名单",
        columns=(
            Col("户编号", 20),
            Col("户主", 12),
            Col("村", 10),
            Col("村民组", 10),
            Col("住址", 30),
        ),
        source=drill_source,
    )
)
