from django.conf import settings

from . import clock


def app_context(request):
    """Pinned-date banner, session lifetime for the expiry warning, a draft kept across login."""
    return {
        "app_today": clock.today(),
        "app_today_pinned": clock.is_pinned(),
        "session_idle_seconds": settings.SESSION_IDLE_TIMEOUT_MINUTES * 60,
        "restored_draft": getattr(request, "restored_draft", None),
    }
