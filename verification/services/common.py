"""Errors, messages and small helpers shared by the verification services."""

from django.db import IntegrityError, transaction
from django.db.models import F, Max

from households.models import Household
from xixin_dibao import clock
from xixin_dibao.models import AuditEvent

from .. import states
from ..models import Case

READ_ONLY_MESSAGE = "领导小组为只读账户，不能办理核查审核事项。"
OTHER_VILLAGE_MESSAGE = "村综合服务专干只能办理本村的案件。"
OFFICE_ONLY_MESSAGE = "此操作只能由民政办办理。"
CONFLICT_MESSAGE = (
    "操作未生效：在您打开页面之后，{who}已于{at}修改了该案件（当前状态“{state}”）。"
    "请刷新页面，查看最新情况后再操作。"
)
CUTOFF_MESSAGE = (
    "核查已于{cutoff}截止：依据洗府发〔2022〕156号，截止日过后不再受理本次"
    "在册低保人员、新纳入低保人员以及低保边缘家庭的核查工作，不能再录入信息比对结果或入户调查。"
)


NUMBERING_ATTEMPTS = 5


class CaseError(Exception):
    """A request that the case rules refuse; the message is Chinese and shown to the user."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ConflictError(CaseError):
    """Someone else changed the case after this user loaded it (R-05)."""


def cn_date(day) -> str:
    """2022年11月21日."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def actor_kind(user) -> str | None:
    """'office', 'village_officer' or None (read-only) for the transition table."""
    if getattr(user, "is_office", False):
        return states.OFFICE
    if getattr(user, "is_village_officer", False):
        return states.OFFICER
    return None


def require_case_writer(user, case: Case) -> None:
    """Leadership is read-only; officers only act on their own village's cases."""
    kind = actor_kind(user)
    user.require(kind is not None, READ_ONLY_MESSAGE)
    if kind == states.OFFICER:
        user.require(case.household.village_id == user.village_id, OTHER_VILLAGE_MESSAGE)
    # Scoping for office users bound to a township.
    visible = Household.objects.for_user(user).filter(pk=case.household_id).exists()
    user.require(visible, OTHER_VILLAGE_MESSAGE)


def require_office(user) -> None:
    user.require(actor_kind(user) is not None, READ_ONLY_MESSAGE)
    user.require(user.is_office, OFFICE_ONLY_MESSAGE)


def conflict(case_pk: int) -> ConflictError:
    """Build the conflict message naming who changed the case last."""
    current = Case.objects.get(pk=case_pk)
    last = (
        AuditEvent.objects.filter(model="verification.Case", object_id=str(case_pk))
        .order_by("-at", "-id")
        .first()
    )
    who = last.actor_name if last else "其他用户"
    at = f"{last.at:%H:%M}" if last else "刚才"
    return ConflictError(CONFLICT_MESSAGE.format(who=who, at=at, state=current.state_label))


def bump_version(case: Case, expected_version: int | None) -> None:
    """Claim the case for this write: UPDATE … SET version=version+1 WHERE version=expected."""
    expected = case.version if expected_version is None else expected_version
    updated = Case.all_objects.filter(pk=case.pk, version=expected).update(version=F("version") + 1)
    if not updated:
        raise conflict(case.pk)
    case.version = expected + 1


def require_verification_open(campaign) -> None:
    """Refuse verification entries after the campaign's cutoff (洗府发〔2022〕156号 三(二)2)."""
    if clock.today() > campaign.verification_cutoff:
        raise CaseError(CUTOFF_MESSAGE.format(cutoff=cn_date(campaign.verification_cutoff)))


def require_data_entry_state(case: Case) -> None:
    if case.state not in states.DATA_ENTRY_STATES:
        raise CaseError(
            f"该户案件当前为“{case.state_label}”，只有“待摸排”“待核查”的案件可以录入核查材料。"
        )


def last_sequence(model, campaign) -> int:
    return model.objects.filter(campaign=campaign).aggregate(m=Max("sequence"))["m"] or 0


def create_numbered(model, *, campaign, pattern: str, **fields):
    """Create a meeting or 公示 numbered 1, 2, 3 … within its campaign (洗民审〔2022〕1号).

    The next number is max+1 read inside the caller's transaction; the (campaign, sequence)
    unique constraint stops two users taking the same one, and the one who loses retries.
    """
    for attempt in range(1, NUMBERING_ATTEMPTS + 1):
        sequence = last_sequence(model, campaign) + 1
        number = pattern.format(year=campaign.year, n=sequence)
        try:
            with transaction.atomic():
                return model.objects.create(
                    campaign=campaign, sequence=sequence, number=number, **fields
                )
        except IntegrityError:
            if attempt == NUMBERING_ATTEMPTS:
                raise
    raise AssertionError("unreachable")
