from django.conf import settings

from . import clock


def app_context(request):
    """Pinned-date banner and role flags for every page."""
    return {
        "app_today": clock.today(),
        "app_today_pinned": clock.is_pinned(),
        "otp_off": not settings.OTP_REQUIRED,
    }
