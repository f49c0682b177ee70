"""The verification pages' lists as Excel (xixin_dibao.exports): cases, and a 公示's households."""

from django.http import Http404

from xixin_dibao.exports import ListExport, register
from xixin_dibao.params import id_param
from xixin_dibao.xlsx import Col


def cases_source(user, params):
    """The case list (the user's cases of the current campaign, the page's filters)."""
    from .views.cases import case_list_queryset

    def to_rows(chunk):
        for c in chunk:
            yield [
                c.household.code,
                c.household.head_name,
                c.household.village.name,
                c.member_count,
                c.get_source_display(),
                c.get_state_display(),
                "逾期" if c.overdue else "",
                "近亲属备案" if c.separately_registered else "",
                c.state_changed_at,
            ]

    return case_list_queryset(user, params), to_rows


def notice_source(user, params):
    """The households of one 公示 the user may see (拟纳入、维持), with their objections."""
    from .views.review import _visible_notices

    notice = _visible_notices(user).filter(pk=id_param(params.get("notice"))).first()
    if notice is None:
        raise Http404("公示不存在")
    entries = notice.entries.select_related("case", "decision").order_by("pk")

    def to_rows(chunk):
        objections = {}
        for entry in entries.model.objects.filter(pk__in=[e.pk for e in chunk]).prefetch_related(
            "objections"
        ):
            objections[entry.pk] = "；".join(
                f"{o.received_on:%Y-%m-%d} {o.content} → {o.get_action_display()}"
                for o in entry.objections.all()
            )
        for e in chunk:
            yield [
                e.name,
                e.household_size,
                e.decision.get_decision_display(),
                e.monthly_amount,
                e.case.get_state_display(),
                "已撤回" if e.withdrawn else "",
                objections.get(e.pk, ""),
            ]

    return entries, to_rows


register(
    ListExport(
        key="cases",
        title="核查案件",
        columns=(
            Col("户编号", 20),
            Col("户主", 12),
            Col("村", 10),
            Col("人数", 6, "int"),
            Col("对象来源", 12),
            Col("状态", 12),
            Col("逾期", 6),
            Col("近亲属备案", 10),
            Col("状态变更时间", 17, "datetime"),
        ),
        source=cases_source,
    )
)
register(
    ListExport(
        key="notice",
        title="公示名单（拟纳入、维持）",
        columns=(
            Col("姓名", 12),
            Col("家庭人口", 8, "int"),
            Col("类别", 12),
            Col("月保障金（元/户）", 14, "money"),
            Col("案件状态", 12),
            Col("因异议撤回", 10),
            Col("异议", 40),
        ),
        source=notice_source,
    )
)
