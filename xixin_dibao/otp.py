"""TOTP second factor (等保 level 3 身份鉴别 (d); ASVS 6.3.2) for 民政办 and administrators.

OTP_REQUIRED switches it on (the default; `make run` turns it off for the demo and every page
then says so). After the password, a user who needs it either enrols (scans a QR code that is
drawn on the server as SVG, no external service) or types the 6-digit code from their app.
"""

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import record_security
from .models import ADMIN_ROLES, AuditEvent, Role

OTP_PATHS = ("/otp/", "/logout/", "/login/", "/static/")


def needs_second_factor(user) -> bool:
    """民政办, the three administrators, staff and superusers sign in with a TOTP code."""
    return bool(
        settings.OTP_REQUIRED
        and user.is_authenticated
        and (
            user.role == Role.OFFICE
            or user.role in ADMIN_ROLES
            or user.is_staff
            or user.is_superuser
        )
    )


class OTPRequiredMiddleware:
    """Send a user who needs a second factor and has not given one to enrol or verify."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            needs_second_factor(user)
            and not user.is_verified()
            and not request.path.startswith(OTP_PATHS)
        ):
            target = "otp_verify" if confirmed_device(user) else "otp_setup"
            return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)


class TokenForm(forms.Form):
    token = forms.CharField(
        label="动态口令",
        max_length=6,
        min_length=6,
        error_messages={
            "required": "请输入动态口令（6 位数字）。",
            "min_length": "动态口令为 6 位数字。",
            "max_length": "动态口令为 6 位数字。",
        },
    )

    def clean_token(self):
        token = self.cleaned_data["token"].strip()
        if not token.isdigit():
            raise forms.ValidationError("动态口令为 6 位数字。")
        return token


def throttled_message(device) -> str | None:
    """Chinese message while django-otp's back-off after wrong codes is running, else None."""
    allowed, info = device.verify_is_allowed()
    if allowed:
        return None
    until = (info or {}).get("locked_until")
    seconds = max(1, int((until - timezone.now()).total_seconds()) + 1) if until else 1
    return f"动态口令连续错误，请 {seconds} 秒后再试。"


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return reverse("home")


def qr_svg(data: str) -> str:
    """The QR code of `data` as inline SVG markup (drawn here, nothing fetched)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@login_required
def otp_setup(request):
    """Enrol an authenticator app: show the QR code and secret, confirm with one code."""
    if confirmed_device(request.user):
        return redirect(f"{reverse('otp_verify')}?next={_next_url(request)}")
    device, _ = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "手机动态口令"}
    )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and (wait := throttled_message(device)):
        form.add_error("token", wait)
    elif request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            record_security(
                kind=AuditEvent.Kind.OTP_ENROLLED, request=request, summary="绑定动态口令"
            )
            return redirect(_next_url(request))
        record_security(
            kind=AuditEvent.Kind.OTP_FAILED,
            request=request,
            summary="绑定时动态口令错误",
            success=False,
        )
        form.add_error("token", "动态口令不正确，请核对手机上的 6 位数字后重试。")
    secret = device.config_url.split("secret=")[1].split("&")[0]
    context = {
        "form": form,
        "qr": mark_safe(qr_svg(device.config_url)),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "next": _next_url(request),
    }
    return render(request, "registration/otp_setup.html", context)


@login_required
def otp_verify(request):
    """Ask for the current 6-digit code after the password."""
    device = confirmed_device(request.user)
    if device is None:
        return redirect(f"{reverse('otp_setup')}?next={_next_url(request)}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and (wait := throttled_message(device)):
        form.add_error("token", wait)
    elif request.method == "POST" and form.is_valid():
        verified = verify_token(request.user, device.persistent_id, form.cleaned_data["token"])
        if verified is not None:
            otp_login(request, verified)
            record_security(kind=AuditEvent.Kind.LOGIN, request=request, summary="动态口令验证通过")
            return redirect(_next_url(request))
        record_security(
            kind=AuditEvent.Kind.OTP_FAILED, request=request, summary="动态口令错误", success=False
        )
        form.add_error("token", "动态口令不正确或已过期，请输入手机上当前显示的 6 位数字。")
    return render(
        request, "registration/otp_verify.html", {"form": form, "next": _next_url(request)}
    )
