"""Login throttling that an attacker cannot turn against a user (issue 19.5).

- The client address is the real one: X-Forwarded-For is believed only from TRUSTED_PROXIES
  (the documented nginx), so behind the proxy every visitor is still told apart.
- Failures count per username + address: five wrong passwords from another machine lock that
  machine out, not the user's own device (django-axes, AXES_LOCKOUT_PARAMETERS).
- Before the lockout, each further failure from the same username + address doubles the wait
  before the next attempt (1, 2, 4 … seconds): guessing slows down at once.
"""

import ipaddress
import math
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils import timezone


def _ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or the nearest untrusted address in X-Forwarded-For behind a trusted proxy."""
    remote = _ip(request.META.get("REMOTE_ADDR", "") or "")
    trusted = set(settings.TRUSTED_PROXIES)
    if remote is None or remote not in trusted:
        return remote
    hops = [_ip(h) for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        if hop not in trusted:
            return hop
    return remote


def _key(username: str, ip: str | None) -> str:
    return f"login-delay:{(username or '').strip().lower()[:150]}:{ip or '-'}"


def seconds_to_wait(username: str, ip: str | None) -> int:
    """How long this username + address must still wait before trying again (0: go ahead)."""
    state = cache.get(_key(username, ip))
    if not state:
        return 0
    failures, last = state
    delay = settings.LOGIN_DELAY_BASE_SECONDS * 2 ** (failures - 2) if failures >= 2 else 0
    return max(0, math.ceil(last + delay - time.time()))


def note_failure(username: str, ip: str | None) -> None:
    failures, _ = cache.get(_key(username, ip)) or (0, 0)
    timeout = settings.LOGIN_COOLOFF_MINUTES * 60
    cache.set(_key(username, ip), (failures + 1, time.time()), timeout=timeout)


def clear(username: str, ip: str | None) -> None:
    cache.delete(_key(username, ip))


def lockout_response(request, original_response=None, credentials=None):
    """The locked-out page, saying when this username + address may try again."""
    from axes.models import AccessAttempt

    username = (credentials or {}).get("username") or request.POST.get("username", "")
    cooloff = timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES)
    attempt = (
        AccessAttempt.objects.filter(username=username, ip_address=client_ip(request))
        .order_by("-attempt_time")
        .first()
    )
    last = attempt.attempt_time if attempt else timezone.now()
    minutes = max(1, math.ceil((last + cooloff - timezone.now()).total_seconds() / 60))
    context = {
        "cooloff_minutes": settings.LOGIN_COOLOFF_MINUTES,
        "minutes_left": minutes,
        "until": timezone.localtime(last + cooloff),
    }
    return render(request, "registration/locked_out.html", context, status=429)
