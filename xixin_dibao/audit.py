"""Write audit entries: data changes (with before/after) and security events.

Services call these explicitly, including on bulk paths, so bulk imports and queryset updates
are recorded too (a signal-based history package would miss them).
"""

from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal

from django.db import models

from .logging import mask_text
from .models import AuditEvent

SENSITIVE_FIELDS = {"id_number", "bank_account"}
# The request being served, so model-level hooks (user and permission changes) know who acted.
current_request: ContextVar = ContextVar("current_request", default=None)


class AuditContextMiddleware:
    """Make the current request known to audit hooks that have no request of their own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(obj: models.Model) -> dict:
    """Return the concrete field values of `obj` as JSON-safe data (ID numbers masked)."""
    data = {}
    for field in obj._meta.concrete_fields:
        value = _plain(getattr(obj, field.attname))
        if field.name in SENSITIVE_FIELDS and value:
            value = mask_text(str(value)) if len(str(value)) >= 15 else "***"
        data[field.name] = value
    return data


def diff(before: dict | None, after: dict | None) -> dict:
    """Return {field: [old, new]} for the fields that changed."""
    before, after = before or {}, after or {}
    keys = set(before) | set(after)
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


def _actor_fields(actor) -> dict:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor": None, "actor_name": "系统"}
    return {"actor": actor, "actor_name": str(actor)[:150]}


def household_id_of(obj) -> int | None:
    if obj is None:
        return None
    if obj._meta.model_name == "household":
        return obj.pk
    household_id = getattr(obj, "household_id", None)
    if household_id is None and getattr(obj, "member_id", None):
        household_id = obj.member.household_id  # records kept per person (救助记录)
    return household_id


def record_change(
    *,
    actor,
    kind: str,
    obj: models.Model,
    before: dict | None = None,
    after: dict | None = None,
    summary: str = "",
    ip_address: str | None = None,
) -> AuditEvent:
    """Record one create/update/delete/transition of `obj`."""
    return AuditEvent.objects.create(
        **_actor_fields(actor),
        kind=kind,
        model=obj._meta.label,
        object_id=str(obj.pk or ""),
        household_id=household_id_of(obj),
        summary=summary[:300],
        before=before,
        after=after,
        ip_address=ip_address,
    )


def record_bulk_create(*, actor, objs, summary: str = "") -> None:
    """Record one audit row per object written by a bulk path (imports, bulk screening)."""
    fields = _actor_fields(actor)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                **fields,
                kind=AuditEvent.Kind.CREATE,
                model=o._meta.label,
                object_id=str(o.pk or ""),
                household_id=household_id_of(o),
                summary=summary[:300],
                after=snapshot(o),
            )
            for o in objs
        ],
        batch_size=1000,
    )


def record_security(
    *, actor=None, kind: str, summary: str = "", request=None, success: bool = True, **extra
) -> AuditEvent:
    """Record a security event: login, lockout, export, reveal, denied request."""
    ip = None
    request = request if request is not None else current_request.get()
    if request is not None:
        from .login_guard import client_ip

        ip = client_ip(request)
        if actor is None and getattr(request, "user", None) is not None:
            actor = request.user
    return AuditEvent.objects.create(
        **_actor_fields(actor),
        kind=kind,
        summary=mask_text(summary)[:300],
        ip_address=ip,
        success=success,
        model=extra.get("model", ""),
        object_id=str(extra.get("object_id", "")),
        household_id=extra.get("household_id"),
    )
