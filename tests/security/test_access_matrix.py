"""Issue 7.1: every URL that shows or changes household data, for every role.

- a village officer asking for another village's object gets 404 (GET and POST);
- a leadership (领导小组) user cannot change anything: every POST is 403 (or 405);
- a village officer cannot record review decisions or run office-only steps.
A guard test fails when a new URL with an object id appears that this matrix does not cover.
"""

from datetime import date

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from archives.models import DossierDocument
from tests.factories import MemberFactory, UserFactory
from tests.verification.factories import (
    DecisionFactory,
    HomeVisitFactory,
    make_case,
    notice_for,
    refusal_for,
)

pytestmark = pytest.mark.django_db

# URL name → which object of the other village its arguments point at.
HOUSEHOLD_URLS = {
    "households:detail": "household",
    "households:edit": "household",
    "households:survey": "household",
    "households:withdraw": "household",
    "households:restore": "household",
    "screening:rescreen_household": "household",
    "archives:household": "household",
    "archives:build": "household",
    "archives:upload": "household",
    "archives:download": "household",
    "archives:version_download": "household+version",
    "archives:scan_download": "household+doc",
    "verification:case_detail": "case",
    "verification:case_transition": "case",
    "verification:data_match_entry": "case",
    "verification:data_match_pdf": "case",
    "verification:home_visit_create": "case",
    "verification:refusal": "case",
    "verification:refusal_notice_pdf": "case",
    "verification:refusal_notice_docx": "case",
    "verification:refusal_delivery": "case",
    "verification:refusal_receipt": "case",
    "verification:receipt_scan": "case",
    "verification:refusal_exception": "case",
    "verification:objection_create": "case",
    "verification:visit_scan": "visit",
    "verification:decision_notice_pdf": "decision",
    "verification:decision_notice_docx": "decision",
    "verification:notice_detail": "notice",
    "verification:notice_print": "notice",
    "verification:notice_pdf": "notice",
    "verification:notice_export": "notice",
    "verification:notice_report": "notice",
    "verification:auto_exit_confirm": "case",
    "verification:auto_exit_reverse": "case",
    "households:record_create": "household",
    "households:record_edit": "household+record",
    "households:record_end": "household+record",
    "households:application_create": "household",
    "households:application_edit": "household+application",
}
# Pages that only show or download (GET); the rest change something.
READ_ONLY_URLS = {
    "households:detail",
    "archives:household",
    "archives:download",
    "archives:version_download",
    "archives:scan_download",
    "verification:case_detail",
    "verification:data_match_pdf",
    "verification:refusal_notice_pdf",
    "verification:refusal_notice_docx",
    "verification:receipt_scan",
    "verification:visit_scan",
    "verification:decision_notice_pdf",
    "verification:decision_notice_docx",
    "verification:notice_detail",
    "verification:notice_print",
    "verification:notice_pdf",
    "verification:notice_export",
    "verification:meeting_detail",
    "verification:meeting_minutes_pdf",
}
# Township-wide pages only the office uses (the review meeting decides).
OFFICE_ONLY_URLS = {
    "verification:meeting_detail": "meeting",
    "verification:meeting_refresh": "meeting",
    "verification:meeting_decide": "meeting+item",
    "verification:meeting_decide_many": "meeting",
    "verification:meeting_minutes_pdf": "meeting",
    "verification:meeting_create": None,
    "verification:confirmation_reverse": "confirmation",
    "screening:run": None,
    "screening:what_if": None,
}
# Object-less pages: lists and forms scoped inside the view, covered by their app's tests.
OTHER_URLS = {"job_detail", "job_download", "archives:batch_resume", "archives:roster"}


def app_url_names():
    names = set()

    def walk(patterns, ns=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, p.namespace or ns)
            elif isinstance(p, URLPattern) and p.name and ns != "admin":
                names.add((f"{ns}:{p.name}" if ns else p.name, bool(p.pattern.converters)))

    walk(get_resolver().url_patterns)
    return names


def test_every_url_with_an_object_id_is_in_the_matrix():
    covered = set(HOUSEHOLD_URLS) | set(OFFICE_ONLY_URLS) | OTHER_URLS
    missing = sorted(n for n, has_args in app_url_names() if has_args and n not in covered)
    assert not missing, f"新的带对象编号的地址需要加入权限矩阵：{missing}"


@pytest.fixture
def world(campaign, village_b, settings):
    """One of each household-data object, all in village B."""
    case = make_case(village_b, campaign)
    MemberFactory(household=case.household, relation="child")
    visit = HomeVisitFactory(case=case)
    decision = DecisionFactory(case=case)
    notice, _ = notice_for(case, decision)
    refusal_case = make_case(village_b, campaign, state="refused")
    refusal_for(refusal_case)
    scan = settings.MEDIA_ROOT / "scans" / "matrix.pdf"
    scan.parent.mkdir(parents=True, exist_ok=True)
    scan.write_bytes(b"%PDF-1.4\n%%EOF\n")
    doc = DossierDocument.objects.create(
        household=case.household,
        key="upload:test",
        kind="other",
        group="later",
        title="扫描件",
        source="uploaded",
        date=date(2022, 11, 10),
        file="scans/matrix.pdf",
        content_type="application/pdf",
        page_count=1,
    )
    from django.utils import timezone

    from households.models import Application, AssistanceRecord
    from verification.models import CountyConfirmation

    record = AssistanceRecord.objects.create(
        member=case.household.members.first(), kind="dibao", start_date=date(2020, 1, 1)
    )
    application = Application.objects.create(
        household=case.household, kind="dibao", applied_on=date(2021, 5, 1), outcome="pending"
    )
    confirmation = CountyConfirmation.objects.create(
        case=case,
        outcome="maintain",
        confirmed_on=date(2022, 12, 1),
        document_number="石民审〔2022〕1号",
        start_date=date(2022, 12, 1),
        recorded_by=decision.decided_by or UserFactory(username="matrix_recorder"),
        recorded_at=timezone.now(),
    )
    return {
        "household": case.household,
        "case": case,
        "record": record,
        "application": application,
        "confirmation": confirmation,
        "visit": visit,
        "decision": decision,
        "notice": notice,
        "meeting": decision.meeting,
        "item": decision,
        "doc": doc,
        "version": 1,
    }


def url_for(name, spec, world):
    if spec is None:
        return reverse(name)
    parts = spec.split("+")
    args = [world[parts[0]].pk]
    for extra in parts[1:]:
        value = world[extra]
        args.append(value if isinstance(value, int) else value.pk)
    return reverse(name, args=args)


@pytest.mark.parametrize("name", sorted(HOUSEHOLD_URLS))
def test_other_village_objects_are_404_for_a_village_officer(client_for, officer_a, world, name):
    client = client_for(officer_a)
    url = url_for(name, HOUSEHOLD_URLS[name], world)
    got = client.get(url).status_code
    posted = client.post(url, {"reason": "x", "to_state": "pending_review"}).status_code
    # POST-only endpoints answer GET with 405, office-only steps refuse officers with 403
    # before looking anything up; nothing of the other village is ever shown or changed.
    assert got in (403, 404, 405) and posted in (403, 404, 405), (url, got, posted)
    if name in READ_ONLY_URLS:
        assert got == 404, (url, got)


# What-if computes without saving anything; leadership may use it.
CHANGING_URLS = sorted(
    (set(HOUSEHOLD_URLS) | set(OFFICE_ONLY_URLS)) - READ_ONLY_URLS - {"screening:what_if"}
)


@pytest.mark.parametrize("name", CHANGING_URLS)
def test_leadership_cannot_change_anything(client_for, leader, world, name):
    spec = {**HOUSEHOLD_URLS, **OFFICE_ONLY_URLS}[name]
    response = client_for(leader).post(url_for(name, spec, world), {"reason": "x"})
    assert response.status_code in (403, 405), name


@pytest.mark.parametrize("name", sorted(OFFICE_ONLY_URLS))
def test_village_officer_cannot_run_office_steps(client_for, world, village_b, name):
    from tests.factories import OfficerFactory

    officer_b = OfficerFactory(username="officer_b_matrix", village=village_b)
    response = client_for(officer_b).post(
        url_for(name, OFFICE_ONLY_URLS[name], world), {"decision": "include_dibao", "reasons": "x"}
    )
    assert response.status_code in (403, 404), name


# Issue 19.7: leadership sees aggregates only. Every app URL outside LEADERSHIP_VIEWS answers
# 403 to a 领导小组 account, whether or not it names an object; the list is walked from the
# URL resolver, so a new page is covered the day it is added.
OBJECTLESS_ARGS = {"archives:roster": ["dibao"]}


def leader_url(name, world, job):
    if name in ("job_detail", "job_download"):
        return reverse(name, args=[job.token])
    if name == "archives:batch_resume":
        return reverse(name, args=[job.token])
    spec = {**HOUSEHOLD_URLS, **OFFICE_ONLY_URLS}.get(name, "")
    if spec:
        return url_for(name, spec, world)
    return reverse(name, args=OBJECTLESS_ARGS.get(name, []))


@pytest.mark.parametrize("name", sorted(n for n, _ in app_url_names()))
def test_leadership_sees_aggregates_only(client_for, leader, world, name):
    from xixin_dibao.middleware import LEADERSHIP_VIEWS
    from xixin_dibao.models import AuditEvent, Job

    job = Job.objects.create(kind="dossier_batch", title="档案包", owner=leader)
    url = leader_url(name, world, job)
    response = client_for(leader).get(url)
    if name in LEADERSHIP_VIEWS:
        assert response.status_code in (200, 302, 404, 405), (url, response.status_code)
    else:
        assert response.status_code == 403, (url, response.status_code)
        assert AuditEvent.objects.filter(kind="denied", actor=leader).exists()


@pytest.mark.parametrize(
    "name",
    [
        "dashboard",
        "dashboard_bulletin",
        "dashboard_export",
        "dashboard_bulletin_pdf",
        "dashboard_bulletin_docx",
    ],
)
def test_leadership_opens_the_dashboard_bulletin_and_aggregate_exports(
    client_for, leader, world, name
):
    assert client_for(leader).get(reverse(name)).status_code == 200, name


def test_leadership_reads_no_household_rows_even_through_a_query(leader, world):
    """Defence in depth: the one scoping rule gives leadership no household at all."""
    from households.models import Household

    assert Household.objects.exists()
    assert not Household.objects.for_user(leader).exists()


def test_officer_cannot_force_a_state_or_decision_by_post(client_for, world, village_b):
    """A crafted POST on one's own village's case cannot record a decision or skip states."""
    from tests.factories import OfficerFactory

    officer_b = OfficerFactory(username="officer_b_crafted", village=village_b)
    case = world["case"]
    before = case.state
    client = client_for(officer_b)
    client.post(
        reverse("verification:case_transition", args=[case.pk]),
        {"to_state": "reviewed", "reason": "自行通过", "version": case.version},
    )
    client.post(
        reverse("verification:case_transition", args=[case.pk]),
        {"to_state": "archived", "reason": "x", "version": case.version},
    )
    case.refresh_from_db()
    assert case.state == before


# 三员分立 (issue 19.4): the system, security and audit administrators.
ADMIN_ROLES = ["admin", "security_admin", "audit_admin"]
# Every page that shows or exports household data, by URL name and the object it needs.
PERSONAL_DATA_PAGES = {
    "households:list": None,
    "households:export": None,
    "households:detail": "household",
    "screening:queue": None,
    "screening:export": None,
    "verification:case_list": None,
    "verification:case_detail": "case",
    "archives:index": None,
    "archives:household": "household",
    "archives:download": "household",
    "dashboard": None,
    "dashboard_export": None,
}
# Admin-site pages: which administrator may open each (everyone else gets 403).
ADMIN_PAGES = {
    "admin:xixin_dibao_user_add": {"admin"},
    "admin:xixin_dibao_user_changelist": {"admin", "security_admin"},
    "admin:households_township_changelist": {"admin"},
    "admin:households_campaign_changelist": {"admin"},
    "admin:auth_group_add": {"security_admin"},
    "admin:otp_totp_totpdevice_changelist": {"security_admin"},
    "admin:xixin_dibao_auditevent_changelist": {"audit_admin"},
    "admin:admin_logentry_changelist": {"audit_admin"},
    "admin:households_household_changelist": set(),
    "admin:households_member_changelist": set(),
    "admin:verification_homevisit_changelist": set(),
    "admin:xixin_dibao_job_changelist": set(),
}


@pytest.fixture
def administrator(request):
    from tests.factories import UserFactory

    def make(role):
        return UserFactory(username=f"{role}_user", role=role, is_staff=True)

    return make


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_administrators_cannot_read_or_export_personal_data(client_for, administrator, world, role):
    client = client_for(administrator(role))
    for name, spec in sorted(PERSONAL_DATA_PAGES.items()):
        response = client.get(url_for(name, spec, world))
        assert response.status_code == 403, (role, name, response.status_code)
        assert "三员分立" in response.content.decode()


@pytest.mark.parametrize("role", ADMIN_ROLES)
@pytest.mark.parametrize("name", sorted(ADMIN_PAGES))
def test_each_administrator_opens_only_their_admin_pages(client_for, administrator, role, name):
    response = client_for(administrator(role)).get(reverse(name))
    expected = 200 if role in ADMIN_PAGES[name] else 403
    assert response.status_code == expected, (role, name, response.status_code)


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_administrators_start_in_the_admin_site(client_for, administrator, role):
    response = client_for(administrator(role)).get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("admin:index")


def user_form(user, **changes):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": "",
        "is_active": "on",
        "role": user.role,
        "phone": "",
        "password_changed_at_0": "2026-01-01",
        "password_changed_at_1": "00:00:00",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(changes)
    return data


def test_only_the_security_administrator_changes_roles(client_for, administrator):
    from tests.factories import UserFactory

    clerk = UserFactory(username="clerk", role="village_officer")
    url = reverse("admin:xixin_dibao_user_change", args=[clerk.pk])
    client_for(administrator("admin")).post(url, user_form(clerk, role="office"))
    clerk.refresh_from_db()
    assert clerk.role == "village_officer"  # 系统管理员: the field is read-only
    response = client_for(administrator("security_admin")).post(
        url, user_form(clerk, role="office")
    )
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.role == "office"


def test_permission_rows_do_not_widen_an_administrators_rights(client_for, administrator):
    """A security admin who grants a system admin household rights changes nothing."""
    from django.contrib.auth.models import Permission

    sysadmin = administrator("admin")
    sysadmin.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_household", "reveal_id_number"])
    )
    client = client_for(sysadmin)
    assert client.get(reverse("admin:households_household_changelist")).status_code == 403
    assert not sysadmin.has_perm("xixin_dibao.reveal_id_number")
