"""Issue 20.1 and 20.2 in the browser: Enter never saves, Ctrl+S does; nothing typed is lost."""

from datetime import date

import pytest

from households.models import Household
from tests.factories import make_id_number

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_enter_in_the_id_field_does_not_save_but_ctrl_s_does(journey, officer_a, campaign):
    j = journey()
    page = j.login("officer_a")
    page.goto(j.base + "/households/new/")
    page.fill("#id_head_name", "冉光明")
    page.fill("#id_members-0-name", "冉光明")
    page.click("#id_members-0-id_number")
    page.keyboard.type(make_id_number(date(1968, 4, 1)))
    page.keyboard.press("Enter")
    page.wait_for_timeout(800)
    assert page.url.endswith("/households/new/")
    assert not Household.objects.exists()
    assert page.input_value("#id_members-0-birth_date") == "1968-04-01"
    j.shot("enter-did-not-save")
    page.keyboard.press("Control+s")
    page.wait_for_url("**/households/*/")
    j.shot("saved-with-ctrl-s")
    assert Household.objects.get().head_name == "冉光明"


def test_failed_save_focuses_the_first_error(journey, officer_a, campaign):
    j = journey()
    page = j.login("officer_a")
    page.goto(j.base + "/households/new/")
    page.fill("#id_head_name", "冉光明")
    page.fill("#id_members-0-name", "冉光明")
    page.fill("#id_members-0-id_number", "500240196804010011")  # wrong check digit
    page.click("[data-save-default]")
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "id_members-0-id_number"
    assert page.locator(".field-error", has_text="无身份证号").count() == 0
    j.shot("first-error-focused")


def test_session_warning_and_activity_keep_the_session(journey, officer_a, campaign, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 2.1  # 126 s: the 2-minute warning comes at once
    j = journey()
    page = j.login("officer_a")
    page.goto(j.base + "/households/new/")
    warning = page.locator("#session-warning")
    warning.wait_for(state="visible", timeout=15000)
    assert "自动退出" in warning.inner_text()
    j.shot("two-minute-warning")
    page.click("#id_address")
    page.keyboard.type("保合村3组")  # typing is activity: the session is extended
    warning.wait_for(state="hidden", timeout=5000)


def test_form_posted_after_expiry_is_filled_back_after_login(
    journey, officer_a, campaign, settings
):
    j = journey()
    page = j.login("officer_a")
    page.goto(j.base + "/households/new/")
    page.fill("#id_head_name", "冉光明")
    page.fill("#id_address", "洗新乡保合村3组")
    page.fill("#id_members-0-name", "冉光明")
    page.fill("#id_members-0-id_number", make_id_number(date(1968, 4, 1)))
    page.click("[data-formset=members] [data-add-row]")
    page.fill("#id_members-1-name", "向春梅")
    page.fill("#id_members-1-id_number", make_id_number(date(1970, 5, 2), female=True))
    page.select_option("#id_members-1-relation", "spouse")
    page.uncheck("#id_members-1-chongqing_hukou")
    page.check("#id_recorded_groups_0")
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 0.01  # the officer went to lunch
    page.wait_for_timeout(1200)
    page.click("[data-save-default]")
    page.wait_for_url("**/login/**")
    assert "内容没有丢失" in page.inner_text(".messages")
    j.shot("expired-login")
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    page.fill("#id_username", "officer_a")
    page.fill("#id_password", "Xixin#2022pass")
    page.click("button[type=submit]")
    page.wait_for_url("**/households/new/")
    page.locator("[data-draft-restored]").wait_for()
    assert page.input_value("#id_head_name") == "冉光明"
    assert page.input_value("#id_address") == "洗新乡保合村3组"
    assert page.input_value("#id_members-1-name") == "向春梅"
    assert page.input_value("#id_members-1-relation") == "spouse"
    assert not page.is_checked("#id_members-1-chongqing_hukou")
    assert page.is_checked("#id_recorded_groups_0")
    j.shot("draft-filled-back")
    assert not Household.objects.exists()
    page.click("[data-save-default]")
    page.wait_for_load_state()
    j.shot("after-restore-save")
    household = Household.objects.get()
    assert household.address == "洗新乡保合村3组"
    assert household.members.get(name="向春梅").chongqing_hukou is False
