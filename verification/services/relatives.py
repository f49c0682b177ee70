"""近亲属备案 (《最低生活保障审核确认办法》第十一条): declare, match by ID number, register."""

from django.db import transaction

from households import idnumber
from xixin_dibao.audit import record_change, snapshot
from xixin_dibao.models import AuditEvent

from ..models import RelativeDeclaration
from .cases import register_relatives
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
