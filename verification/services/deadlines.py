"""Campaign deadlines: reminders, the unscreened list and bulletin, overdue cases.

洗府发〔2022〕156号 三(二): 摸排 finished by the outreach deadline (11月2日); data match and home
visits by the verification cutoff (11月21日), after which no more checks are accepted;
四(二): villages that lag are named in a 通报. Idempotent: a second run changes nothing more.
"""

from dataclasses import asdict, dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import Count

from households.models import Campaign, Village
from xixin_dibao import clock
from xixin_dibao.models import AuditEvent
from xixin_dibao.paper import Annex, Block, Cell, Paper, Row, to_docx

from .. import outreach, states
from ..models import Bulletin, Case, Notification
from .cases import ensure_cases
from .common import cn_date


@dataclass
class DeadlineReport:
    campaign: str
    today: str
    cases_opened: int = 0
    reminders: list[str] = field(default_factory=list)
    overdue_marked: int = 0
    bulletin_created: bool = False
    unscreened: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def unscreened_households(campaign, today: date | None = None):
    """应摸排 households not 已摸排 (verification.outreach, the dashboard's definition too)."""
    qs, cond = outreach.households(campaign, today or clock.today())
    return qs.filter(cond["pending"])


def outreach_scope(campaign, today: date | None = None):
    """Households 摸排 is about (应摸排: verification.outreach)."""
    qs, cond = outreach.households(campaign, today or clock.today())
    return qs.filter(cond["due"])


def village_figures(campaign, today: date | None = None) -> list[dict]:
    """Per village: households in the outreach scope (应摸排), screened (已摸排), not screened,
    completion rate, and 回头看 households; counted in one query (verification.outreach)."""
    qs, cond = outreach.households(campaign, today or clock.today())
    counts = {
        "total": Count("pk", filter=cond["due"]),
        "screened": Count("pk", filter=cond["done"]),
        "lookback": Count("pk", filter=cond["lookback"]),
    }
    rows = {r.pop("village_id"): r for r in qs.values("village_id").annotate(**counts).order_by()}
    figures = []
    for village in Village.objects.filter(township_id=campaign.township_id).order_by("code"):
        row = rows.get(village.pk, dict.fromkeys(counts, 0))
        total, done = row["total"], row["screened"]
        figures.append(
            {
                "village_id": village.pk,
                "village": village.name,
                "total": total,
                "screened": done,
                "unscreened": total - done,
                "rate": round(done * 100 / total, 1) if total else 100.0,
                "lookback": row["lookback"],
            }
        )
    return figures


def _counts_by_village(qs, field_name: str) -> dict[int, int]:
    return dict(qs.values_list(field_name).annotate(n=Count("pk", distinct=True)).order_by())


def _open_work(campaign, kind: str, today: date) -> dict[int, int]:
    if kind == Notification.Kind.OUTREACH_REMINDER:
        return _counts_by_village(unscreened_households(campaign, today), "village_id")
    return _counts_by_village(
        Case.objects.filter(campaign=campaign, state__in=states.UNVERIFIED_STATES),
        "household__village_id",
    )


def _reminders(campaign, today: date) -> list[str]:
    """One notification per village with open work, reminder_days before each deadline."""
    made = []
    deadlines = [
        (Notification.Kind.OUTREACH_REMINDER, campaign.outreach_deadline, "重点对象摸排"),
        (
            Notification.Kind.VERIFICATION_REMINDER,
            campaign.verification_cutoff,
            "信息比对和入户调查",
        ),
    ]
    villages = {v.pk: v for v in Village.objects.filter(township_id=campaign.township_id)}
    for kind, deadline, work in deadlines:
        days_left = (deadline - today).days
        if not 0 <= days_left <= campaign.reminder_days:
            continue
        done = set(
            Notification.objects.filter(campaign=campaign, kind=kind).values_list(
                "village_id", flat=True
            )
        )
        new = []
        for village_id, count in sorted(_open_work(campaign, kind, today).items()):
            if village_id in done or village_id not in villages or not count:
                continue
            when = "今天" if days_left == 0 else f"还有{days_left}天"
            new.append(
                Notification(
                    campaign=campaign,
                    village_id=village_id,
                    kind=kind,
                    deadline=deadline,
                    open_count=count,
                    created_on=today,
                    title=f"{work}将于{cn_date(deadline)}截止（{when}），本村尚有{count}户未完成",
                    body=(
                        f"依据洗府发〔2022〕156号，{work}须在{cn_date(deadline)}前完成。"
                        f"截至{cn_date(today)}，{villages[village_id].name}尚有{count}户未完成，"
                        "请抓紧办理；逾期将列入通报。"
                    ),
                )
            )
        Notification.objects.bulk_create(new, ignore_conflicts=True)
        made += [n.title for n in new]
    return made


def _mark_overdue(campaign, today: date, state_set, reason: str) -> int:
    """Flag unfinished cases; a case already flagged for this reason is left alone."""
    qs = Case.objects.filter(campaign=campaign, state__in=state_set).exclude(
        overdue=True, overdue_reason=reason
    )
    if state_set == states.UNSCREENED_STATES:
        # Missing the outreach deadline never overrides a later, verification-cutoff flag.
        qs = qs.filter(overdue=False)
    rows = list(qs.values_list("pk", "household_id"))
    if not rows:
        return 0
    Case.objects.filter(pk__in=[pk for pk, _ in rows]).update(
        overdue=True, overdue_reason=reason, overdue_since=today
    )
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor_name="系统",
                kind=AuditEvent.Kind.UPDATE,
                model="verification.Case",
                object_id=str(pk),
                household_id=hid,
                summary=f"标记逾期：{reason}",
            )
            for pk, hid in rows
        ]
    )
    return len(rows)


def bulletin_text(campaign, figures: list[dict], today: date) -> tuple[str, str]:
    """Title and body of the 通报 draft naming the lagging villages with their figures."""
    title = "关于低保扩面扩围重点对象摸排工作进展情况的通报（草稿）"
    total = sum(f["total"] for f in figures)
    done = sum(f["screened"] for f in figures)
    rate = round(done * 100 / total, 1) if total else 100.0
    lagging = sorted((f for f in figures if f["unscreened"]), key=lambda f: -f["unscreened"])
    lines = [
        "各村民委员会：",
        f"按照《洗新乡低保扩面扩围实施方案》（{campaign.document_number or '洗府发〔2022〕156号'}）"
        f"要求，重点对象摸排工作应于{cn_date(campaign.outreach_deadline)}前完成。"
        f"截至{cn_date(today)}，全乡应摸排{total}户，已完成{done}户，完成率{rate}%。",
    ]
    if lagging:
        lines.append("以下村摸排工作进度滞后：")
        lines += [
            f"{f['village']}：应摸排{f['total']}户，已完成{f['screened']}户，"
            f"尚有{f['unscreened']}户未完成，完成率{f['rate']}%；"
            for f in lagging
        ]
        lines.append(
            "请上述村立即组织力量完成剩余摸排工作，并书面说明未按期完成的原因报民政办。"
            "对工作部署走过场、政策落实不到位的村，将按方案要求予以通报。"
        )
    else:
        lines.append("各村均已按期完成摸排工作。")
    lines += ["", "洗新乡低保扩面扩围工作领导小组办公室", cn_date(today)]
    return title, "\n".join(lines)


def bulletin_draft_paper(bulletin: Bulletin) -> Paper:
    """The draft as saved (edits included): the lines after its last blank line are the 落款."""
    lines = [line.strip() for line in bulletin.body.splitlines()]
    split = len(lines) - lines[::-1].index("") if "" in lines else len(lines)
    text = [line for line in lines[:split] if line]
    signature = tuple(line for line in lines[split:] if line)
    blocks = [
        Block(line, "flat" if i == 0 and line.endswith("：") else "para")
        for i, line in enumerate(text)
    ]
    rows = tuple(
        Row(
            (
                Cell(f["village"]),
                *(Cell(str(f[key]), "num") for key in ("total", "screened", "unscreened")),
                Cell(f"{f['rate']}%", "num"),
            )
        )
        for f in bulletin.figures
    )
    return Paper(
        title=bulletin.title,
        body=tuple(blocks[:-1]),
        closing=tuple(blocks[-1:]),
        signature=signature,
        annex=Annex(
            title="附件：各村摸排情况（截止日数据）",
            header=("村", "应摸排（户）", "已完成", "未完成", "完成率"),
            rows=rows,
        ),
    )


def render_bulletin_draft_docx(bulletin: Bulletin) -> bytes:
    return to_docx(bulletin_draft_paper(bulletin))


@transaction.atomic
def enforce_campaign_deadlines(*, campaign: Campaign, today: date) -> DeadlineReport:
    report = DeadlineReport(campaign=campaign.name, today=today.isoformat())
    report.cases_opened = ensure_cases(campaign=campaign)
    report.reminders = _reminders(campaign, today)
    if today > campaign.outreach_deadline:
        reason = f"逾期未完成摸排（截止{cn_date(campaign.outreach_deadline)}）"
        report.overdue_marked += _mark_overdue(campaign, today, states.UNSCREENED_STATES, reason)
        report.unscreened = unscreened_households(campaign, today).count()
        if not Bulletin.objects.filter(campaign=campaign).exists():
            figures = village_figures(campaign, today)
            title, body = bulletin_text(campaign, figures, today)
            Bulletin.objects.create(
                campaign=campaign, title=title, body=body, figures=figures, generated_on=today
            )
            report.bulletin_created = True
    if today > campaign.verification_cutoff:
        reason = f"逾期未完成核查（截止{cn_date(campaign.verification_cutoff)}）"
        report.overdue_marked += _mark_overdue(campaign, today, states.UNVERIFIED_STATES, reason)
    return report


def enforce_deadlines(*, today: date | None = None) -> list[DeadlineReport]:
    """Run the deadline job for every active campaign (the beat task and the command)."""
    today = today or clock.today()
    return [
        enforce_campaign_deadlines(campaign=c, today=today)
        for c in Campaign.objects.current_campaigns().order_by("pk")
    ]
