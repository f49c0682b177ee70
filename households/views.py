"""Registry pages: list, detail, one-page entry form, ID check, to-do, import/export."""

import re
import secrets
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Reverse
from django.http import Http404, HttpResponseBadRequest, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from xixin_dibao.audit import record_security
from xixin_dibao.models import AuditEvent
from xixin_dibao.params import id_param

from . import idnumber
from .assistance import assistance_text
from .forms import (
    AssetInlineFormSet,
    ExpenseInlineFormSet,
    HouseholdForm,
    IncomeInlineFormSet,
    MemberInlineFormSet,
    NewMemberInlineFormSet,
)
from .models import AssistanceRecord, Household, Member, PriorityGroup, Village, VillageGroup
from .services import (
    RESTORE_NOT_ALLOWED,
    ConflictError,
    HouseholdForms,
    MissingVersionError,
    WithdrawError,
    duplicate_message,
    id_number_owner,
    restore_household,
    save_household,
    unknown_member_names,
    withdraw_household,
)
from .survey import SurveyError, mark_survey_complete, reopen_survey, survey_gaps

PAGE_SIZE = 50
ID_CHECK_THROTTLED = "查重过于频繁，请一分钟后再试。"
GROUPS_LISTED_UP_TO_VILLAGES = 40  # more villages than a township has: pick a village first


def get_visible_household(request, pk, *, include_withdrawn=False) -> Household:
    """The household if the user may see it; 404 (recorded as a denied request) otherwise.

    A withdrawn household is found only where asked for (its page, restoring it).
    """
    households = Household.all_objects if include_withdrawn else Household.objects
    household = households.for_user(request.user).filter(pk=pk).first()
    if household is None:
        existing = Household.all_objects.filter(pk=pk)
        if existing.exists() and not existing.for_user(request.user).exists():
            record_security(
                kind=AuditEvent.Kind.DENIED,
                request=request,
                success=False,
                summary=f"越权访问家庭 #{pk}",
                model="households.Household",
                object_id=pk,
            )
        raise Http404("家庭不存在")
    return household


SEARCH_SESSION_KEY = "household_searches"
SEARCHES_KEPT = 20


def search_params(request) -> QueryDict:
    """The list filters of this request, the search text taken from the session.

    The search box posts its text (an ID number, say), which is kept in the session under a
    random key: only `?s=<key>` goes into URLs, so no ID number reaches an access log or a
    proxy's log (issue 19.6).
    """
    params = request.GET.copy()
    key = params.pop("s", [""])[0]
    searches = request.session.get(SEARCH_SESSION_KEY, {})
    if key and key in searches:
        params["q"] = searches[key]
    return params


def remember_search(request, text: str) -> str:
    """Keep `text` in the session and return the key to put in the URL."""
    searches = dict(request.session.get(SEARCH_SESSION_KEY, {}))
    key = secrets.token_urlsafe(9)
    searches[key] = text[:100]
    request.session[SEARCH_SESSION_KEY] = dict(list(searches.items())[-SEARCHES_KEPT:])
    return key


# 4 to 8 trailing characters of an ID number (尾号), the last one possibly X.
ID_TAIL_RE = re.compile(r"\d{3,7}[\dXx]")


def id_tail_households(tail: str):
    """Households with a member whose ID number ends in `tail` (indexed on PostgreSQL, 0009)."""
    members = Member.objects.alias(id_reversed=Reverse("id_number"))
    return members.filter(id_reversed__startswith=tail.upper()[::-1]).values("household_id")


def search_households(qs, q: str):
    """Households matching the search text: name, 户编号, address, ID number or its tail."""
    member_match = Member.objects.filter(household=OuterRef("pk")).filter(
        Q(name__contains=q) | Q(id_number=idnumber.normalize(q))
    )
    match = (
        Q(head_name__contains=q)
        | Q(code__icontains=q)
        | Q(address__contains=q)
        | Exists(member_match)
    )
    if ID_TAIL_RE.fullmatch(q):
        match |= Q(pk__in=id_tail_households(q))
    return qs.filter(match)


def filter_households(qs, params):
    """Apply the list filters: search, village, group, priority group, assistance status."""
    q = (params.get("q") or "").replace("\x00", "").strip()
    if q:
        qs = search_households(qs, q)
    for key, lookup in (
        ("village", "village_id"),
        ("group", "group_id"),
        ("priority", "group_records__group"),
    ):
        value = str(params.get(key) or "")
        if value:  # an id from a drop-down; anything else (an edited URL) matches nothing
            number = id_param(value)
            qs = qs.filter(**{lookup: number}) if number else qs.none()
    status = params.get("status")
    if status == "none":
        qs = qs.filter(assistance_now="")
    elif status:
        qs = qs.filter(assistance_now__contains=assistance_text([status]))
    return qs


# ?sort= keys of the list's sortable columns; anything else gives the default order.
SORTS = {
    "code": ("code",),
    "head": ("head_name", "code"),
    "village": ("village__code", "code"),
    "created": ("created_at", "code"),
}
DEFAULT_ORDER = ("village__code", "code")


def household_order(sort: str | None) -> tuple[str, ...]:
    """The ORDER BY of `?sort=` (a key or -key); an unknown key gives the default order."""
    sort = str(sort or "")
    fields = SORTS.get(sort.removeprefix("-"))
    if fields is None:
        return DEFAULT_ORDER
    if sort.startswith("-"):
        return tuple(f"-{f}" for f in fields)
    return fields


def sort_links(params, current: str) -> dict[str, dict]:
    """For each sortable column: the query string that sorts by it and its arrow, if sorted."""
    links = {}
    for key in SORTS:
        flipped = f"-{key}" if current == key else key
        query = params.copy()
        query["sort"] = flipped
        arrow = "▲" if current == key else ("▼" if current == f"-{key}" else "")
        links[key] = {"query": query.urlencode(), "arrow": arrow}
    return links


def _filter_choices(user, params):
    """The village and 村民组 drop-downs: only villages the user works in.

    A county-wide account would get a thousand villages and ten thousand groups on every page,
    so groups are offered once a village is chosen, or at once when the user's villages are few
    (a township, or a county-level account in a one-township deployment).
    """
    villages = Village.objects.for_user(user)
    chosen = id_param(params.get("village"))
    if chosen:
        groups = VillageGroup.objects.filter(village__in=villages, village_id=chosen)
    elif villages.count() <= GROUPS_LISTED_UP_TO_VILLAGES:
        groups = VillageGroup.objects.filter(village__in=villages)
    else:
        groups = VillageGroup.objects.none()
    return villages, groups.select_related("village")


def with_member_counts(households) -> list[Household]:
    """`member_count` on each household of a page, counted for that page alone (not the list)."""
    households = list(households)
    counts = dict(
        Member.objects.filter(household__in=households)
        .order_by()
        .values_list("household_id")
        .annotate(n=Count("pk"))
    )
    for household in households:
        household.member_count = counts.get(household.pk, 0)
    return households


@login_required
def household_list(request):
    if request.method == "POST":
        # The filter form posts; the search text stays in the session (see search_params).
        params = QueryDict(mutable=True)
        for key in ("village", "group", "priority", "status", "sort"):
            if request.POST.get(key):
                params[key] = request.POST[key]
        text = (request.POST.get("q") or "").strip()
        if text:
            params["s"] = remember_search(request, text)
        return redirect(f"{request.path}?{params.urlencode()}" if params else request.path)
    filters = search_params(request)
    qs = filter_households(Household.objects.for_user(request.user), filters)
    qs = qs.select_related("village", "group")
    sort = str(request.GET.get("sort") or "")
    paginator = Paginator(qs.order_by(*household_order(sort)), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("q", None)  # an old-style ?q= link: the text is shown, not passed on in links
    if filters.get("q") and "s" not in params:
        params["s"] = remember_search(request, filters["q"])
    unsorted = params.copy()
    unsorted.pop("sort", None)
    villages, groups = _filter_choices(request.user, filters)
    return render(
        request,
        "households/list.html",
        {
            "page_obj": page,
            "households": with_member_counts(page.object_list),
            "query_string": params.urlencode() + "&" if params else "",
            "villages": villages,
            "groups": groups,
            "priority_groups": PriorityGroup.choices,
            "status_choices": AssistanceRecord.Kind.choices + [("none", "无救助")],
            "params": filters,
            "link_query": params.urlencode(),
            "sorts": sort_links(unsorted, sort),
            "sort": sort if sort.removeprefix("-") in SORTS else "",
        },
    )


@login_required
def household_detail(request, pk):
    household = get_visible_household(request, pk, include_withdrawn=True)
    members = household.members.prefetch_related("assistance")
    reveal = request.GET.get("reveal") == "1" and request.user.can_reveal_ids
    if reveal:
        record_security(
            kind=AuditEvent.Kind.REVEAL,
            request=request,
            summary=f"查看 {household.code} 完整身份证号",
            model="households.Household",
            object_id=household.pk,
            household_id=household.pk,
        )
    history = AuditEvent.objects.filter(household_id=household.pk)[:100]
    return render(
        request,
        "households/detail.html",
        {
            "household": household,
            "members": members,
            "incomes": household.incomes.select_related("member"),
            "assets": household.assets.select_related("member"),
            "expenses": household.expenses.all(),
            "group_records": household.group_records.all(),
            "applications": household.applications.all(),
            "records": AssistanceRecord.objects.filter(member__household=household)
            .select_related("member")
            .order_by("member_id", "start_date", "pk"),
            "reveal": reveal,
            "history": history if request.user.is_office else None,
            "can_edit": request.user.can_edit_registry and not household.is_withdrawn,
            "survey_gaps": survey_gaps(household),
        },
    )


@login_required
@require_POST
def household_survey(request, pk):
    """Mark the household's 摸排 complete, or take that back with a reason (office only)."""
    user = request.user
    user.require(user.can_edit_registry, "只读账户不能修改家庭信息。")
    household = get_visible_household(request, pk)
    try:
        if request.POST.get("action") == "reopen":
            user.require(user.is_office, "只有民政办可以撤销摸排完成。")
            reopen_survey(household=household, actor=user, reason=request.POST.get("reason", ""))
            messages.success(request, "已撤销摸排完成，该户重新计入未摸排。")
        else:
            mark_survey_complete(household=household, actor=user)
            messages.success(request, "已标记摸排完成，该户计入已摸排，可转入核查。")
    except SurveyError as exc:
        messages.error(request, str(exc))
    return redirect(household)


def _forms(request, household, user):
    data = request.POST if request.method == "POST" else None
    instance = household or Household()
    if household is None:
        members = NewMemberInlineFormSet(
            data, instance=instance, prefix="members", initial=[{"relation": "head"}]
        )
    else:
        members = MemberInlineFormSet(data, instance=instance, prefix="members")
    return HouseholdForms(
        household=HouseholdForm(data, instance=household, user=user),
        members=members,
        incomes=IncomeInlineFormSet(data, instance=instance, prefix="incomes"),
        assets=AssetInlineFormSet(data, instance=instance, prefix="assets"),
        expenses=ExpenseInlineFormSet(data, instance=instance, prefix="expenses"),
    )


def _check_duplicate_ids(forms, user, household_id) -> bool:
    ok = True
    for form in forms.members.forms:
        cleaned = getattr(form, "cleaned_data", None) or {}
        number = cleaned.get("id_number")
        if number and not cleaned.get("DELETE"):
            owner = id_number_owner(number, exclude_household_id=household_id)
            if owner:
                form.add_error("id_number", duplicate_message(owner, user))
                ok = False
    return ok


def _all_valid(forms) -> bool:
    results = [
        f.is_valid()
        for f in (forms.household, forms.members, forms.incomes, forms.assets, forms.expenses)
    ]
    return all(results)


@login_required
def household_edit(request, pk=None):
    user = request.user
    user.require(user.can_edit_registry, "只读账户不能修改家庭信息。")
    household = get_visible_household(request, pk) if pk else None
    forms = _forms(request, household, user)
    conflict = None
    if request.method == "POST":
        if household is not None and not request.POST.get("version", "").strip().isdigit():
            # Without the version it was based on, an edit could overwrite someone's change.
            return HttpResponseBadRequest(
                "缺少或无效的版本号（version），未保存。请刷新页面后重新修改。"
            )
        valid = _all_valid(forms)
        valid = _check_duplicate_ids(forms, user, household and household.pk) and valid
        valid = valid and not unknown_member_names(forms)
        if valid:
            try:
                saved = save_household(actor=user, forms=forms)
            except ConflictError as exc:
                conflict = exc
            except MissingVersionError as exc:
                return HttpResponseBadRequest(str(exc))
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    forms.household.add_error(field, errors)
            else:
                messages.success(request, f"已保存：{saved.code} {saved.head_name}户。")
                request.session["last_entry"] = [saved.village_id, saved.group_id]
                if "save_and_new" in request.POST:
                    return redirect("households:create")
                return redirect(saved)
        if not conflict:
            messages.error(request, "保存失败：请按红色提示修改后再保存，已填写的内容都保留着。")
    elif household is None and request.session.get("last_entry"):
        # Village and group are remembered between entries.
        village_id, group_id = request.session["last_entry"]
        if not user.is_village_officer:
            forms.household.initial["village"] = village_id
        forms.household.initial["group"] = group_id
    return render(
        request,
        "households/form.html",
        {
            "forms": forms,
            "household": household,
            "conflict": conflict,
            "survey_gaps": survey_gaps(household) if household else None,
        },
    )


def id_check_allowed(user) -> bool:
    """At most ID_CHECK_PER_MINUTE checks a minute per user (issue 19.12: no bulk probing)."""
    key = f"id-check:{user.pk}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # the entry expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    return count <= settings.ID_CHECK_PER_MINUTE


@login_required
@require_POST
def check_id_number(request):
    """Flag an ID number already registered anywhere, without revealing other villages' data."""
    if not id_check_allowed(request.user):
        record_security(
            kind=AuditEvent.Kind.DENIED,
            request=request,
            success=False,
            summary="身份证号查重过于频繁，已暂停一分钟",
        )
        return JsonResponse(
            {"duplicate": False, "valid": False, "message": ID_CHECK_THROTTLED}, status=429
        )
    number = idnumber.normalize(request.POST.get("id_number", ""))
    try:
        number = idnumber.validate(number)
    except idnumber.IdNumberError as exc:
        return JsonResponse({"duplicate": False, "valid": False, "message": str(exc)})
    exclude = request.POST.get("exclude_household") or None
    owner = id_number_owner(
        number, exclude_household_id=int(exclude) if exclude and exclude.isdigit() else None
    )
    # Each answer says whether a person is registered: recorded, with the number masked.
    record_security(
        kind=AuditEvent.Kind.REVEAL,
        request=request,
        summary=f"身份证号查重：{idnumber.mask(number)}（{'已登记' if owner else '未登记'}）",
    )
    if owner is None:
        return JsonResponse({"duplicate": False, "valid": True, "message": ""})
    return JsonResponse(
        {"duplicate": True, "valid": True, "message": duplicate_message(owner, request.user)}
    )


@login_required
def household_withdraw(request, pk):
    """Withdraw a household registered by mistake (before review), with a reason."""
    user = request.user
    user.require(user.can_edit_registry, "只读账户不能撤销登记。")
    household = get_visible_household(request, pk)
    error = ""
    if request.method == "POST":
        try:
            withdraw_household(actor=user, household=household, reason=request.POST.get("reason"))
        except WithdrawError as exc:
            error = str(exc)
        else:
            messages.success(
                request, f"已撤销登记：{household.code} {household.head_name}户，不再计入任何统计。"
            )
            return redirect("households:withdrawn")
    return render(
        request,
        "households/withdraw.html",
        {"household": household, "error": error, "reason": request.POST.get("reason", "")},
    )


@login_required
@require_POST
def household_restore(request, pk):
    request.user.require(request.user.is_office, RESTORE_NOT_ALLOWED)
    household = get_visible_household(request, pk, include_withdrawn=True)
    try:
        restore_household(actor=request.user, household=household, reason="")
    except WithdrawError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已恢复：{household.code} {household.head_name}户。")
    return redirect(household)


@login_required
def withdrawn_list(request):
    households = (
        Household.all_objects.withdrawn()
        .for_user(request.user)
        .select_related("village", "withdrawn_by")
        .order_by("-withdrawn_at")
    )
    return render(
        request,
        "households/withdrawn_list.html",
        {"households": households[:500], "can_restore": request.user.is_office},
    )
