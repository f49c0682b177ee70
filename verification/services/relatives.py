"""近亲属备案 (《最低生活保障审核确认办法》第十一条): declare, match by ID number, register."""

from django.db import transaction

from households import idnumber
from households.models import Member
from xixin_dibao.audit import record_change, snapshot
from xixin_dibao.models import AuditEvent

from ..models import Case, RelativeDeclaration, SeparateRegistration
from .common import READ_ONLY_MESSAGE, CaseError, actor_kind


@transaction.atomic
def declare_relative(
    *, actor, declarant, name: str, id_number: str, relation: str
) -> RelativeDeclaration:
    """Record that `declarant` has a close relative; cases with that person are registered."""
    actor.require(actor_kind(actor) is not None, READ_ONLY_MESSAGE)
    actor.require(
        declarant.pk == actor.pk or actor.is_office, "只能申报本人的近亲属（民政办可代为登记）。"
    )
    if not (name or "").strip():
        raise CaseError("请填写亲属姓名。", field="name")
    try:
        number = idnumber.validate(id_number)
    except idnumber.IdNumberError as exc:
        raise CaseError(str(exc), field="id_number") from exc
    if relation not in RelativeDeclaration.Relation.values:
        raise CaseError("请选择与申报人的关系。", field="relation")
    if RelativeDeclaration.objects.filter(declarant=declarant, id_number=number).exists():
        raise CaseError("已申报过此人。", field="id_number")
    declaration = RelativeDeclaration.objects.create(
        declarant=declarant,
        name=name.strip(),
        id_number=number,
        relation=relation,
        recorded_by=actor,
    )
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.CREATE,
        obj=declaration,
        after={**snapshot(declaration), "id_number": idnumber.mask(number)},
        summary=f"近亲属备案：{declaration}",
    )
    register_relatives()
    return declaration


def register_relatives() -> int:
    """Register separately every case whose household includes a declared close relative."""
    by_number: dict[str, list[int]] = {}
    for pk, number in RelativeDeclaration.objects.values_list("pk", "id_number"):
        by_number.setdefault(number, []).append(pk)
    if not by_number:
        return 0
    by_household: dict[int, list[tuple[int, str]]] = {}
    members = Member.objects.filter(id_number__in=list(by_number)).values_list(
        "pk", "household_id", "id_number"
    )
    for member_pk, hid, number in members:
        by_household.setdefault(hid, []).append((member_pk, number))
    if not by_household:
        return 0
    cases = list(
        Case.objects.filter(household_id__in=list(by_household)).values_list("pk", "household_id")
    )
    existing = set(
        SeparateRegistration.objects.filter(case_id__in=[pk for pk, _ in cases]).values_list(
            "case_id", "declaration_id"
        )
    )
    new = [
        SeparateRegistration(case_id=case_pk, declaration_id=decl_pk, member_id=member_pk)
        for case_pk, hid in cases
        for member_pk, number in by_household[hid]
        for decl_pk in by_number[number]
        if (case_pk, decl_pk) not in existing
    ]
    SeparateRegistration.objects.bulk_create(new, ignore_conflicts=True)
    flagged = {r.case_id for r in new}
    if flagged:
        Case.objects.filter(pk__in=flagged).update(separately_registered=True)
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    actor_name="系统",
                    kind=AuditEvent.Kind.UPDATE,
                    model="verification.Case",
                    object_id=str(pk),
                    household_id=hid,
                    summary="家庭成员为工作人员或村干部的近亲属：单独登记备案",
                )
                for pk, hid in cases
                if pk in flagged
            ]
        )
    return len(new)


def recusal_members(*, actor, case: Case) -> list[tuple[Member, RelativeDeclaration]]:
    """Members of the case's household whom `actor` declared as close relatives."""
    numbers = dict((d.id_number, d) for d in RelativeDeclaration.objects.filter(declarant=actor))
    if not numbers:
        return []
    members = case.household.members.filter(id_number__in=list(numbers))
    return [(m, numbers[m.id_number]) for m in members]
