"""Helpers shared by the verification pages: the current campaign, scoped case lookup, errors."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from households.models import Campaign
from households.views import get_visible_household
from xixin_dibao.audit import record_security
from xixin_dibao.models import AuditEvent

from ..models import Case
from ..services import CaseError
from ..services.common import READ_ONLY_MESSAGE, actor_kind

PAGE_SIZE = 50


def current_campaign(user):
    """The active campaign of the user's township (see CampaignQuerySet.current)."""
    return Campaign.objects.current(user=user)


def get_case(request, pk) -> Case:
    """The case if its household is visible to the user; 404 (recorded) otherwise."""
    case = get_object_or_404(Case.objects.select_related("household__village", "campaign"), pk=pk)
    get_visible_household(request, case.household_id)
    return case


def writers_only(view):
    """Leadership (read-only) gets 403 on any POST before a form is even read."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST" and actor_kind(request.user) is None:
            raise PermissionDenied(READ_ONLY_MESSAGE)
        return view(request, *args, **kwargs)

    return wrapped


def office_or_leadership(user) -> None:
    """Pages spanning villages (meetings, minutes): not for village officers."""
    user.require(not user.is_village_officer, "村综合服务专干不能查看跨村的审核会议材料。")


def office_only(user) -> None:
    user.require(user.is_office, "此操作只能由民政办办理。")


def run_service(request, form, call) -> bool:
    """Call a service; put its refusal on the form (field or top) and keep what was typed."""
    try:
        call()
    except CaseError as exc:
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, exc.message)
        messages.error(request, "未保存：" + exc.message)
        return False
    return True


def log_print(request, *, summary: str, household_id=None, obj=None) -> None:
    record_security(
        kind=AuditEvent.Kind.PRINT,
        request=request,
        summary=summary,
        model=obj._meta.label if obj is not None else "",
        object_id=getattr(obj, "pk", ""),
        household_id=household_id,
    )
