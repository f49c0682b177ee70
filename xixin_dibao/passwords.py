"""Password rules beyond Django's: character classes (等保 level-3 profile)."""

import string

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError


class CharacterClassValidator:
    """Require characters from at least `min_classes` of: lower, upper, digits, symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        classes = [
            any(c in string.ascii_lowercase for c in password),
            any(c in string.ascii_uppercase for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < self.min_classes:
            raise ValidationError(
                f"密码须至少包含小写字母、大写字母、数字、符号中的 {self.min_classes} 类。",
                code="password_too_few_classes",
            )

    def get_help_text(self):
        return f"密码须至少包含小写字母、大写字母、数字、符号中的 {self.min_classes} 类。"


class PasswordHistoryValidator:
    """Refuse the current password and the `remember` before it (等保: no reuse, issue 19.12)."""

    def __init__(self, remember: int = 5):
        self.remember = remember

    def _recent_hashes(self, user) -> list[str]:
        from .models import PasswordHistory

        hashes = list(
            PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[
                : self.remember
            ]
        )
        if user.password and user.password not in hashes:
            hashes.insert(0, user.password)
        return hashes[: self.remember]

    def validate(self, password, user=None):
        if user is None or user.pk is None:
            return
        from django.contrib.auth import get_user_model

        model = get_user_model()
        stored = model.objects.filter(pk=user.pk).values_list("password", flat=True).first()
        for encoded in self._recent_hashes(model(pk=user.pk, password=stored or "")):
            if check_password(password, encoded):
                raise ValidationError(
                    f"新密码不能与最近 {self.remember} 次使用过的密码相同。",
                    code="password_reused",
                )

    def password_changed(self, password, user=None):
        """Called by Django after a password is saved: remember its hash, keep the last few."""
        from .models import PasswordHistory

        if user is None or user.pk is None or not user.password:
            return
        PasswordHistory.objects.create(user=user, password=user.password)
        keep = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[
            : self.remember
        ]
        PasswordHistory.objects.filter(user=user).exclude(pk__in=list(keep)).delete()

    def get_help_text(self):
        return f"新密码不能与最近 {self.remember} 次使用过的密码相同。"
