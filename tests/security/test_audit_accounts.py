"""Issue 19.3: account, role, permission and admin changes are audited; users are never deleted."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory, VillageFactory
from xixin_dibao.models import AuditEvent, User

pytestmark = pytest.mark.django_db
PASSWORD = "Xixin#2022pass"


def kinds_for(user) -> list[str]:
    return list(
        AuditEvent.objects.filter(model="xixin_dibao.User", object_id=str(user.pk))
        .order_by("id")
        .values_list("kind", flat=True)
    )


def test_deleting_a_user_deactivates_and_is_audited():
    user = UserFactory(username="leaver")
    AuditEvent.objects.create(kind="login", actor=user, actor_name=str(user))
    user.delete()
    User.objects.filter(username="leaver").delete()  # the queryset path too
    user.refresh_from_db()
    assert not user.is_active
    assert AuditEvent.objects.filter(actor=user).exists()  # the audit keeps its actor
    assert {"delete", "user_deactivate"} <= set(kinds_for(user))


def test_admin_cannot_delete_users_and_deactivates_them_instead(client_for):
    root = UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)
    target = UserFactory(username="target")
    AuditEvent.objects.create(kind="login", actor=target, actor_name=str(target))
    client = client_for(root)
    delete = client.post(
        reverse("admin:xixin_dibao_user_delete", args=[target.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    client.post(
        reverse("admin:xixin_dibao_user_changelist"),
        {"action": "deactivate_users", "_selected_action": [target.pk]},
    )
    target.refresh_from_db()
    assert not target.is_active
    event = AuditEvent.objects.get(kind="user_deactivate", object_id=str(target.pk))
    assert event.actor == root


def test_user_creation_role_and_permission_changes_are_audited():
    user = UserFactory(username="newbie", role="village_officer", village=VillageFactory())
    assert "user_create" in kinds_for(user)
    user.role = "office"
    user.save()
    role_change = AuditEvent.objects.filter(kind="permission", object_id=str(user.pk)).last()
    assert "village_officer → office" in role_change.summary
    reveal = Permission.objects.get(codename="reveal_id_number")
    user.user_permissions.add(reveal)
    group = Group.objects.create(name="复核组")
    group.permissions.add(reveal)
    user.groups.add(group)
    summaries = " ".join(
        AuditEvent.objects.filter(kind="permission").values_list("summary", flat=True)
    )
    assert "查看完整身份证号" in summaries and "复核组" in summaries


def test_login_logout_and_password_change_are_audited():
    user = UserFactory(username="wj2")
    client = Client()
    client.post(reverse("login"), {"username": "wj2", "password": PASSWORD})
    client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Qz7!wpLx9", "new_password2": "Qz7!wpLx9"},
    )
    client.post(reverse("logout"))
    assert AuditEvent.objects.filter(kind="login", actor=user).exists()
    assert AuditEvent.objects.filter(kind="logout", actor=user).exists()
    # By the user themself (the factory's initial password was set by nobody signed in).
    assert AuditEvent.objects.get(kind="password_change", object_id=str(user.pk), actor=user)


def test_admin_edits_are_copied_into_the_chained_audit(client_for):
    root = UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)
    township = VillageFactory().township
    client = client_for(root)
    response = client.post(
        reverse("admin:households_township_change", args=[township.pk]),
        {"code": township.code, "name": "新名乡", "county": "石柱土家族自治县"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(kind="admin_edit", model="households.Township")
    assert event.actor == root and "新名乡" in event.summary and event.hash
