"""Registry state changes: save a household with everything on its page, check ID numbers.

Every write records an audit entry and schedules re-screening after commit.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from xixin_dibao.audit import record_change, snapshot
from xixin_dibao.models import AuditEvent

from .models import Household, Member, PriorityGroupRecord, Village

CONFLICT_MESSAGE = "保存失败：在您编辑期间，{who}已修改了这户信息。请查看下方变化后重新填写。"


class MissingVersionError(Exception):
    """An edit arrived without the version it was based on (answered with 400, issue 19.12)."""


# Bookkeeping fields a person does not edit: left out of the conflict table.
CONFLICT_SKIPPED = {"id", "version", "assistance_now", "created_at", "updated_at"}


@dataclass
class ConflictRow:
    label: str
    opened: str  # what the form showed when this user opened it
    current: str  # what the other person saved
    yours: str  # what this user typed


class ConflictError(Exception):
    """Someone else saved the household after this user loaded it."""

    def __init__(self, message: str, rows: list[ConflictRow]):
        super().__init__(message)
        self.rows = rows


def _shown(field, value) -> str:
    """A stored value as a person reads it: choice labels, 是/否, names of related rows."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        obj = field.related_model.objects.filter(pk=value).first()
        return str(obj) if obj else str(value)
    return str(value)


def conflict_rows(*, opened: dict | None, current: dict, yours: dict) -> list[ConflictRow]:
    """Fields the other person changed since the form was opened (all differing ones if unknown)."""
    rows = []
    for field in Household._meta.concrete_fields:
        name = field.name
        if name in CONFLICT_SKIPPED:
            continue
        was = (opened or yours).get(name)
        if was == current.get(name):
            continue
        rows.append(
            ConflictRow(
                label=str(field.verbose_name),
                opened=_shown(field, was) if opened is not None else "（未记录）",
                current=_shown(field, current.get(name)),
                yours=_shown(field, yours.get(name)),
            )
        )
    return rows


@dataclass
class HouseholdForms:
    household: object  # HouseholdForm
    members: object
    incomes: object
    assets: object
    expenses: object


def next_household_code(village) -> str:
    """Next free code in the village: <village code>-<4-digit serial>."""
    return next_household_codes(village, 1)[0]


def next_household_codes(village, count: int) -> list[str]:
    """The next `count` free codes in the village (withdrawn households keep theirs)."""
    prefix = f"{village.code}-"
    codes = Household.all_objects.filter(code__startswith=prefix).values_list("code", flat=True)
    serials = [int(c[len(prefix) :]) for c in codes if c[len(prefix) :].isdigit()]
    start = max(serials, default=0) + 1
    return [f"{prefix}{n:04d}" for n in range(start, start + count)]


def _bump_version(
    household: Household, expected_version: int | None, actor, opened: dict | None = None
) -> None:
    if expected_version is None:
        raise MissingVersionError("缺少版本号（version），未保存。请刷新页面后重新修改。")
    updated = Household.objects.filter(pk=household.pk, version=expected_version).update(
        version=F("version") + 1
    )
    if not updated:
        current = Household.objects.get(pk=household.pk)
        last = AuditEvent.objects.filter(household_id=household.pk).exclude(actor=actor).first()
        who = last.actor_name if last else "其他用户"
        raise ConflictError(
            CONFLICT_MESSAGE.format(who=who),
            conflict_rows(opened=opened, current=snapshot(current), yours=snapshot(household)),
        )


def _save_child_forms(formset, household, actor, members_by_name=None) -> None:
    for form in formset.forms:
        if not form.has_changed() and form.instance.pk:
            continue
        cleaned = getattr(form, "cleaned_data", None)
        if not cleaned:
            continue
        obj = form.instance
        if cleaned.get("DELETE"):
            if obj.pk:
                before = snapshot(obj)
                record_change(
                    actor=actor,
                    kind=AuditEvent.Kind.DELETE,
                    obj=obj,
                    before=before,
                    summary=f"删除{obj._meta.verbose_name}：{obj}",
                )
                obj.delete()
            continue
        before = snapshot(obj) if obj.pk else None
        obj = form.save(commit=False)
        obj.household = household
        if members_by_name is not None:
            name = (cleaned.get("member_name") or "").strip()
            obj.member = members_by_name.get(name)
        obj.save()
        after = snapshot(obj)
        kind = AuditEvent.Kind.UPDATE if before else AuditEvent.Kind.CREATE
        if before != after:
            record_change(
                actor=actor,
                kind=kind,
                obj=obj,
                before=before,
                after=after,
                summary=f"{kind == 'create' and '新增' or '修改'}{obj._meta.verbose_name}：{obj}",
            )


def _save_groups(household, groups: list[int], evidence: str, actor) -> None:
    existing = {r.group: r for r in household.group_records.all()}
    for group, record in existing.items():
        if group not in groups:
            record_change(
                actor=actor,
                kind=AuditEvent.Kind.DELETE,
                obj=record,
                before=snapshot(record),
                summary=f"取消重点人群：{record}",
            )
            record.delete()
    for group in groups:
        if group not in existing:
            record = PriorityGroupRecord.objects.create(
                household=household, group=group, evidence=evidence
            )
            record_change(
                actor=actor,
                kind=AuditEvent.Kind.CREATE,
                obj=record,
                after=snapshot(record),
                summary=f"登记重点人群：{record}",
            )


def unknown_member_names(forms: HouseholdForms) -> list[str]:
    """Names used on income/asset rows that match no member on the page.

    A row may name its member by number instead (“2” = the second member row, as numbered on
    the form): the number is replaced by that member's name here, before anything is saved.
    """
    rows = [f.cleaned_data for f in forms.members.forms]
    names = {row.get("name") for row in rows if row and not row.get("DELETE")}
    missing = []
    for formset in (forms.incomes, forms.assets):
        for f in formset.forms:
            if not f.cleaned_data or f.cleaned_data.get("DELETE"):
                continue
            name = (f.cleaned_data.get("member_name") or "").strip()
            if name.isdigit():
                number = int(name)
                row = rows[number - 1] if 1 <= number <= len(rows) else None
                if not row or row.get("DELETE") or not row.get("name"):
                    missing.append(name)
                    f.add_error("member_name", f"本户没有第 {number} 位成员。")
                    continue
                name = f.cleaned_data["member_name"] = row["name"]
            if name and name not in names:
                missing.append(name)
                f.add_error("member_name", f"本户没有名为“{name}”的成员。")
    return missing


def _check_scope(*, actor, household: Household, before: dict | None) -> None:
    """Refuse a household created in, or moved to, a village outside the actor's scope (19.8)."""
    from .forms import CODE_PREFIX_MESSAGE, OUT_OF_SCOPE_VILLAGE, code_prefix

    if not Village.objects.for_user(actor).filter(pk=household.village_id).exists():
        raise PermissionDenied(OUT_OF_SCOPE_VILLAGE)
    changed = before is None or (before["code"], before["village"]) != (
        household.code,
        household.village_id,
    )
    prefix = code_prefix(household.village)
    if household.code and changed and not household.code.startswith(prefix):
        raise ValidationError({"code": CODE_PREFIX_MESSAGE.format(prefix=prefix)})


@transaction.atomic
def save_household(*, actor, forms: HouseholdForms) -> Household:
    """Create or update a household and its members, incomes, assets and expenses in one go.

    Refuses a silent overwrite: if the household changed since the form was loaded, raises
    ConflictError with the fields that differ (R-04).
    """
    form = forms.household
    is_new = form.instance.pk is None
    before = None if is_new else snapshot(Household.objects.get(pk=form.instance.pk))
    if not is_new:
        _bump_version(
            form.instance, form.cleaned_data.get("version"), actor, form.opened_snapshot()
        )
    household = form.save(commit=False)
    if actor.is_village_officer:
        household.village_id = actor.village_id
    _check_scope(actor=actor, household=household, before=before)
    if not household.code:
        household.code = next_household_code(household.village)
    if is_new:
        household.save()
    else:
        household.version = Household.objects.values_list("version", flat=True).get(pk=household.pk)
        household.save()
    after = snapshot(household)
    if before != after:
        record_change(
            actor=actor,
            kind=AuditEvent.Kind.CREATE if is_new else AuditEvent.Kind.UPDATE,
            obj=household,
            before=before,
            after=after,
            summary=("登记家庭：" if is_new else "修改家庭：") + str(household),
        )
    for formset in (forms.members, forms.incomes, forms.assets, forms.expenses):
        formset.instance = household
    _save_child_forms(forms.members, household, actor)
    members_by_name = {m.name: m for m in household.members.all()}
    _save_child_forms(forms.incomes, household, actor, members_by_name)
    _save_child_forms(forms.assets, household, actor, members_by_name)
    _save_child_forms(forms.expenses, household, actor)
    _save_groups(
        household,
        form.cleaned_data.get("recorded_groups") or [],
        form.cleaned_data.get("group_evidence", ""),
        actor,
    )
    schedule_rescreen(household.pk)
    return household


def schedule_rescreen(household_id: int) -> None:
    """Re-screen a household after the current transaction commits."""
    # Imported here: screening builds on the registry, not the other way round.
    from screening.services import screen_household

    transaction.on_commit(lambda: screen_household(household_id=household_id))


def schedule_rescreen_many(household_ids) -> None:
    """Re-screen many households in one Celery task after the current transaction commits."""
    from screening.tasks import screen_households

    ids = sorted(set(household_ids))
    if ids:
        transaction.on_commit(lambda: screen_households.delay(ids))


def id_number_owner(number: str, *, exclude_household_id: int | None = None) -> Member | None:
    """The member already registered with `number`, outside the given household."""
    qs = Member.objects.select_related("household__village").filter(id_number=number)
    if exclude_household_id:
        qs = qs.exclude(household_id=exclude_household_id)
    return qs.first()


def duplicate_message(owner: Member, user) -> str:
    """Say an ID number is taken without revealing another village's data."""
    visible = Household.objects.for_user(user).filter(pk=owner.household_id).exists()
    if visible:
        return f"该身份证号已登记在户 {owner.household.code}（{owner.household.head_name}户）。"
    return "该身份证号已在其他村登记，请联系民政办核实，不要重复登记。"


# ---- withdrawing a household registered by mistake ----------------------------------------

WITHDRAW_REASON_REQUIRED = "请填写撤销原因（如：重复登记、录错村）。"
WITHDRAW_NOT_ALLOWED = "只有本村专干或民政办可以撤销登记。"
WITHDRAW_ON_ASSISTANCE = "该户有成员正在享受救助，不能作为误登记撤销。"
RESTORE_NOT_ALLOWED = "只有民政办可以恢复已撤销的家庭。"


class WithdrawError(Exception):
    """A withdrawal or restoration that is not allowed; the message says why, in Chinese."""


# Higher layers (verification) register checks here: each returns a Chinese reason to refuse
# the withdrawal of a household, or "" (e.g. "已提交集体研究审核").
WITHDRAW_GUARDS: list[Callable[[Household], str]] = []


@transaction.atomic
def withdraw_household(*, actor, household: Household, reason: str) -> Household:
    """Withdraw a household registered by mistake, before review: it then counts nowhere."""
    reason = (reason or "").strip()
    if not reason:
        raise WithdrawError(WITHDRAW_REASON_REQUIRED)
    allowed = actor.is_office or (
        actor.is_village_officer and actor.village_id == household.village_id
    )
    if not allowed:
        raise WithdrawError(WITHDRAW_NOT_ALLOWED)
    household = Household.all_objects.select_for_update().get(pk=household.pk)
    if household.is_withdrawn:
        return household
    if household.assistance_now:
        raise WithdrawError(WITHDRAW_ON_ASSISTANCE)
    for guard in WITHDRAW_GUARDS:
        refusal = guard(household)
        if refusal:
            raise WithdrawError(refusal)
    before = snapshot(household)
    household.withdrawn_at = timezone.now()
    household.withdrawn_by = actor
    household.withdrawn_reason = reason[:200]
    household.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"])
    # Its verdicts leave the queue, the dashboard and the what-if with it.
    from screening.models import ScreeningResult

    ScreeningResult.objects.filter(household=household, is_current=True).update(is_current=False)
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.UPDATE,
        obj=household,
        before=before,
        after=snapshot(household),
        summary=f"撤销登记：{household}（原因：{household.withdrawn_reason}）",
    )
    return household


@transaction.atomic
def restore_household(*, actor, household: Household, reason: str = "") -> Household:
    """Restore a withdrawn household (民政办 only); it is screened again."""
    if not actor.is_office:
        raise WithdrawError(RESTORE_NOT_ALLOWED)
    household = Household.all_objects.select_for_update().get(pk=household.pk)
    if not household.is_withdrawn:
        return household
    before = snapshot(household)
    household.withdrawn_at = None
    household.withdrawn_by = None
    household.withdrawn_reason = ""
    household.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"])
    note = f"（{reason.strip()}）" if reason and reason.strip() else ""
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.UPDATE,
        obj=household,
        before=before,
        after=snapshot(household),
        summary=f"恢复已撤销的家庭：{household}{note}",
    )
    schedule_rescreen(household.pk)
    return household
