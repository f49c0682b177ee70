from django.conf import settings

from . import clock


def app_context(request):
    """Pinned-date banner, role flags, session lifetime for the expiry warning, a kept draft."""
    return {
        "app_today": clock.today(),
        "app_today_pinned": clock.is_pinned(),
        "otp_off": not settings.OTP_REQUIRED,
        "session_idle_seconds": settings.SESSION_IDLE_TIMEOUT_MINUTES * 60,
        "restored_draft": getattr(request, "restored_draft", None),
    }
