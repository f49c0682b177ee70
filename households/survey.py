"""The 摸排 (survey) completeness state of a household: what is missing, mark complete, reopen.

洗府发〔2022〕156号 三(二): 重点对象 are surveyed before the outreach deadline. A household counts as
已摸排 only when an officer marks its survey complete, and only when nothing listed by
`survey_gaps` is missing; only then does its case go forward to verification. The one
definition of 已摸排 is `models.surveyed_condition` (used by the deadline checks and the
dashboard too).
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from xixin_dibao import clock
from xixin_dibao.audit import record_change
from xixin_dibao.models import AuditEvent

from .models import Campaign, Household, Member

# 《特困人员认定办法》第五条: under 16 has no work capacity (screening.facts.CampaignPolicy).
CHILD_AGE = 16
ABLE_WORK_CAPACITIES = (Member.WorkCapacity.FULL, Member.WorkCapacity.PARTIAL)


class SurveyError(Exception):
    """Marking the survey complete was refused; the message says why, in Chinese."""


def _age(born: date | None, today: date) -> int | None:
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def able_members_without_income(household: Household, *, today: date | None = None) -> list:
    """Working-age members recorded able to work, in a household with no income line at all.

    The same test as the screening rule 未登记收入 (screening.rules._unregistered_income_flags):
    co-resident, 16 ≤ age < the campaign's elderly age, able or partly able to work, not a
    student; no income line and nobody in stable work without proof of pay (imputed wage).
    """
    today = today or clock.today()
    members = [m for m in household.members.all() if not m.exclusion]
    if household.incomes.exists() or any(m.stable_employment_no_proof for m in members):
        return []
    campaign = Campaign.objects.current(township_id=household.village.township_id)
    elderly = campaign.elderly_age if campaign else 60
    return [
        m
        for m in members
        if (age := _age(m.birth_date, today)) is not None
        and CHILD_AGE <= age < elderly
        and m.work_capacity in ABLE_WORK_CAPACITIES
        and not m.student_level
    ]


def survey_gaps(household: Household) -> list[str]:
    """What the survey still lacks, each as a sentence an officer can act on (all, not first)."""
    members = list(household.members.all())
    if not members:
        return ["还没有登记家庭成员。"]
    gaps = []
    able = able_members_without_income(household)
    if able:
        names = "、".join(m.name for m in able)
        gaps.append(
            f"未登记收入：{names} 处于劳动年龄且有劳动能力，但全家没有登记任何收入"
            "（确无收入的，请登记金额为 0 的收入并在说明中写明原因）。"
        )
    no_grade = [m.name for m in members if m.disability_kind and not m.disability_grade]
    if no_grade:
        gaps.append(f"{'、'.join(no_grade)} 登记了残疾类别，但没有残疾等级。")
    no_birth = [m.name for m in members if m.birth_date is None]
    if no_birth:
        gaps.append(f"{'、'.join(no_birth)} 没有出生日期（无法判断年龄）。")
    return gaps


@transaction.atomic
def mark_survey_complete(*, household: Household, actor) -> Household:
    """Mark the household's 摸排 complete (已摸排); refused while survey_gaps lists anything."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    if household.survey_complete:
        return household
    gaps = survey_gaps(household)
    if gaps:
        raise SurveyError("还不能标记摸排完成：" + "".join(gaps))
    household.survey_completed_at = timezone.now()
    household.survey_completed_by = actor
    household.save(update_fields=["survey_completed_at", "survey_completed_by"])
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.UPDATE,
        obj=household,
        before={"survey_completed_at": None},
        after={"survey_completed_at": household.survey_completed_at.isoformat()},
        summary=f"{household.head_name}户：标记摸排完成",
    )
    return household


@transaction.atomic
def reopen_survey(*, household: Household, actor, reason: str) -> Household:
    """Take back 摸排完成 (the household counts as not surveyed again), with a written reason."""
    reason = (reason or "").strip()
    if not reason:
        raise SurveyError("请填写撤销摸排完成的原因。")
    household = Household.objects.select_for_update().get(pk=household.pk)
    if not household.survey_complete:
        return household
    before = household.survey_completed_at.isoformat()
    household.survey_completed_at = household.survey_completed_by = None
    household.save(update_fields=["survey_completed_at", "survey_completed_by"])
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.UPDATE,
        obj=household,
        before={"survey_completed_at": before},
        after={"survey_completed_at": None},
        summary=f"{household.head_name}户：撤销摸排完成（{reason[:200]}）",
    )
    return household
