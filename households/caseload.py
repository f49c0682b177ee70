"""Writing the assistance register: by hand (民政办), and on a county confirmation.

Every write is validated by households.register, audited with before/after, refreshes the
household's stored current-assistance value and schedules re-screening after commit.
Village officers can read the register but never change it.
"""

from datetime import date
from decimal import Decimal

from django.db import transaction

from xixin_dibao import clock
from xixin_dibao.audit import record_change, snapshot
from xixin_dibao.models import AuditEvent

from .assistance import refresh_current
from .models import Application, AssistanceRecord, Household, Member
from .register import (
    APPLICATION_FIELDS,
    KIND_LABELS,
    RECORD_FIELDS,
    RegisterError,
    Spell,
    application_errors,
    shares,
    spell_errors,
    spells_of,
)
from .services import schedule_rescreen

OFFICE_ONLY = "救助记录和申请记录只能由民政办登记或更正，村专干可以查看。"


def _require_office(actor) -> None:
    actor.require(actor.is_office, OFFICE_ONLY)


def _after_write(household_id: int) -> None:
    refresh_current([household_id])
    schedule_rescreen(household_id)


@transaction.atomic
def save_record(
    *, actor, member: Member, record: AssistanceRecord | None = None, **fields
) -> AssistanceRecord:
    """Add a record for `member`, or correct `record` (the earlier values stay in the audit)."""
    _require_office(actor)
    unknown = set(fields) - set(RECORD_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    Member.objects.select_for_update().filter(pk=member.pk).first()  # serialise one person
    values = {f: fields.get(f, getattr(record, f, None) if record else None) for f in RECORD_FIELDS}
    values["exit_reason"] = values["exit_reason"] or ""
    values["exit_note"] = values["exit_note"] or ""
    values["single_person_basis"] = values["single_person_basis"] or ""
    errors = spell_errors(
        kind=values["kind"],
        start_date=values["start_date"],
        end_date=values["end_date"],
        exit_reason=values["exit_reason"],
        exit_note=values["exit_note"],
        monthly_amount=values["monthly_amount"],
        people_covered=values["people_covered"],
        others=spells_of(member.pk, exclude_pk=record.pk if record else None),
        today=clock.today(),
    )
    if errors:
        raise RegisterError(errors)
    before = snapshot(record) if record else None
    if record is None:
        record = AssistanceRecord(member=member, source=AssistanceRecord.Source.MANUAL)
    for key, value in values.items():
        setattr(record, key, value)
    record.save()
    label = KIND_LABELS[record.kind]
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.UPDATE if before else AuditEvent.Kind.CREATE,
        obj=record,
        before=before,
        after=snapshot(record),
        summary=f"{'更正' if before else '登记'}救助记录：{member.name} {label}",
    )
    _after_write(member.household_id)
    return record


def end_record(
    *, actor, record: AssistanceRecord, end_date: date, exit_reason: str, exit_note: str = ""
) -> AssistanceRecord:
    """End a current record (退出) with its date and reason."""
    if record.end_date is not None:
        raise RegisterError([("end_date", "该记录已终止，如需修改请使用“更正”。")])
    return save_record(
        actor=actor,
        member=record.member,
        record=record,
        end_date=end_date,
        exit_reason=exit_reason,
        exit_note=exit_note,
    )


@transaction.atomic
def save_application(
    *, actor, household: Household, application: Application | None = None, **fields
) -> Application:
    """Record a past application, or correct one (audited)."""
    _require_office(actor)
    values = {
        f: fields.get(f, getattr(application, f, None) if application else None)
        for f in APPLICATION_FIELDS
    }
    values["reason"] = (values["reason"] or "").strip()
    errors = application_errors(today=clock.today(), **values)
    if errors:
        raise RegisterError(errors)
    before = snapshot(application) if application else None
    application = application or Application(household=household)
    for key, value in values.items():
        setattr(application, key, value)
    application.save()
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.UPDATE if before else AuditEvent.Kind.CREATE,
        obj=application,
        before=before,
        after=snapshot(application),
        summary=f"{'更正' if before else '登记'}申请记录：{application}",
    )
    schedule_rescreen(household.pk)
    return application


# ---- county confirmation: open and end spells, and undo them --------------------------------


def open_spells(
    *,
    actor,
    members: list[Member],
    kind: str,
    start_date: date,
    household_amount: Decimal | None,
    people_covered: int | None,
    campaign,
    summary: str,
) -> dict:
    """Open `kind` for each member (updating the amount of a spell of that kind already open).

    Each member's record holds their share of `household_amount` (register.shares), so the
    register adds up to the amount decided and posted. Another open kind the member holds is
    ended the day the new one starts (低保 replaces 边缘).
    Returns the effects for `undo`: {"opened": [ids], "changed": [[id, before], ...]}.
    """
    effects: dict = {"opened": [], "changed": []}
    for member, monthly_amount in zip(members, shares(household_amount, len(members)), strict=True):
        current = list(member.assistance.filter(end_date__isnull=True))
        same = [r for r in current if r.kind == kind]
        for other in (r for r in current if r.kind != kind):
            _change(
                actor,
                other,
                effects,
                summary,
                end_date=max(start_date, other.start_date),
                exit_reason=AssistanceRecord.ExitReason.OTHER,
                exit_note=f"转为{KIND_LABELS[kind]}",
            )
        if same:
            _change(
                actor,
                same[0],
                effects,
                summary,
                monthly_amount=monthly_amount,
                people_covered=people_covered,
            )
            continue
        record = AssistanceRecord.objects.create(
            member=member,
            kind=kind,
            start_date=start_date,
            monthly_amount=monthly_amount,
            people_covered=people_covered,
            source=AssistanceRecord.Source.CONFIRMATION,
            campaign=campaign,
        )
        effects["opened"].append(record.pk)
        record_change(
            actor=actor,
            kind=AuditEvent.Kind.CREATE,
            obj=record,
            after=snapshot(record),
            summary=f"{summary}：{member.name} 纳入{KIND_LABELS[kind]}",
        )
    _touch({m.household_id for m in members})
    return effects


def share_out(
    *, actor, household: Household, kinds, household_amount: Decimal, people_covered, summary
) -> dict:
    """Give the household's current records of `kinds` their shares of a newly decided amount.

    A confirmed 维持 with an amount recomputed by the gap method: the people stay on, their
    shares change. Returns the effects for `undo`, as open_spells does.
    """
    effects: dict = {"opened": [], "changed": []}
    records = list(
        AssistanceRecord.objects.filter(
            member__household=household, end_date__isnull=True, kind__in=kinds
        ).select_related("member")
    )
    for record, share in zip(records, shares(household_amount, len(records)), strict=True):
        if (record.monthly_amount, record.people_covered) != (share, people_covered):
            _change(
                actor,
                record,
                effects,
                summary,
                monthly_amount=share,
                people_covered=people_covered,
            )
    _touch({household.pk})
    return effects


def end_spells(
    *, actor, household: Household, kinds, end_date: date, exit_reason: str, exit_note: str, summary
) -> dict:
    """End every current record of `kinds` in the household (退出, 视为自动退出)."""
    effects: dict = {"opened": [], "changed": []}
    records = AssistanceRecord.objects.filter(
        member__household=household, end_date__isnull=True, kind__in=kinds
    )
    for record in records:
        _change(
            actor,
            record,
            effects,
            summary,
            end_date=max(end_date, record.start_date),
            exit_reason=exit_reason,
            exit_note=exit_note,
        )
    _touch({household.pk})
    return effects


def undo(*, actor, effects: dict, summary: str) -> None:
    """Reverse what open_spells / end_spells did (a reversed county confirmation)."""
    household_ids = set()
    for pk in effects.get("opened", []):
        record = AssistanceRecord.objects.filter(pk=pk).select_related("member").first()
        if record is None:
            continue
        household_ids.add(record.member.household_id)
        record_change(
            actor=actor,
            kind=AuditEvent.Kind.DELETE,
            obj=record,
            before=snapshot(record),
            summary=f"{summary}：撤销{record.member.name}的{KIND_LABELS[record.kind]}记录",
        )
        record.delete()
    for pk, before in effects.get("changed", []):
        record = AssistanceRecord.objects.filter(pk=pk).select_related("member").first()
        if record is None:
            continue
        household_ids.add(record.member.household_id)
        _change(actor, record, None, summary, **_restore(before))
    _touch(household_ids)


def _restore(before: dict) -> dict:
    end, amount = before.get("end_date"), before.get("monthly_amount")
    return {
        "end_date": date.fromisoformat(end) if end else None,
        "exit_reason": before.get("exit_reason") or "",
        "exit_note": before.get("exit_note") or "",
        "monthly_amount": Decimal(str(amount)) if amount is not None else None,
        "people_covered": before.get("people_covered"),
    }


def _change(actor, record: AssistanceRecord, effects: dict | None, summary: str, **values) -> None:
    before = snapshot(record)
    for key, value in values.items():
        setattr(record, key, value)
    record.save(update_fields=list(values))
    if effects is not None:
        effects["changed"].append([record.pk, before])
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.UPDATE,
        obj=record,
        before=before,
        after=snapshot(record),
        summary=f"{summary}：{record.member.name} {KIND_LABELS[record.kind]}",
    )


def _touch(household_ids) -> None:
    for household_id in household_ids:
        _after_write(household_id)


__all__ = [
    "RegisterError",
    "Spell",
    "end_record",
    "end_spells",
    "open_spells",
    "share_out",
    "save_application",
    "save_record",
    "undo",
]
