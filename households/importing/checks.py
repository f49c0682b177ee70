"""Checks that need the database: existing codes, ID numbers already registered, heads, names.

Messages about another village's records never name that record (S-01, R-02).
"""

from collections import defaultdict

from xixin_dibao import clock

from ..forms import CODE_PREFIX_MESSAGE
from ..models import Household, Member
from ..register import Spell, application_errors, spell_errors
from . import columns as C
from .validate import BLANK_CODE_KEY, CHUNK, Importer, chunks

S = C.MEMBERS
NOT_FOUND_OR_FOREIGN = "户编号“{code}”已被其他村的家庭使用（或不在您管辖的范围内），请核对户编号。"
ID_ELSEWHERE = "该身份证号已在其他村登记，请联系民政办核实，不要重复登记。"


def check_database(imp: Importer) -> None:
    """Add every database-dependent error to `imp.errors` and link drafts to existing rows."""
    _load_households(imp)
    _check_households(imp)
    members_by_household = _load_members(imp)
    _check_members(imp, members_by_household)
    _check_children(imp, members_by_household)
    _check_register(imp)


def _load_households(imp: Importer) -> None:
    codes = set(imp.households)
    for drafts in imp.children.values():
        codes.update(d.code for d in drafts)
    for chunk in chunks(sorted(codes)):
        for household in Household.objects.filter(code__in=chunk):
            imp.existing[household.code] = household


def _editable(imp: Importer, household: Household) -> bool:
    return household.village_id in imp.places.allowed


def _code_fits_village(imp: Importer, hh) -> bool:
    """A new household's own 户编号 must start with its village's code, as on the web form
    (19.8): a code is how a household is found and filed, and a foreign prefix files it under
    another village. Blank and temporary codes are numbered on import, so they always fit."""
    if hh.code == BLANK_CODE_KEY.format(row=hh.row) or C.is_temporary_code(hh.code):
        return True
    code = imp.places.code_of.get(hh.village_id)
    return code is None or hh.code.startswith(f"{code}-")


def _check_households(imp: Importer) -> None:
    places = imp.places
    for hh in imp.households.values():
        ex = imp.existing.get(hh.code)
        if ex is not None:
            if not _editable(imp, ex):
                imp.error(S, hh.row, "code", NOT_FOUND_OR_FOREIGN.format(code=hh.code))
                continue
            if hh.village_id is not None and hh.village_id != ex.village_id:
                imp.error(
                    S,
                    hh.origin["village"],
                    "village",
                    f"户编号“{hh.code}”已登记在{places.name_of[ex.village_id]}，与本行填写的村不一致；"
                    "如需迁户请在网页上修改。",
                )
                continue
            hh.village_id = ex.village_id
            hh.existing = ex
        else:
            village_refused = "village_refused" in hh.origin  # reported; the code is not checked
            if hh.village_id is None and places.own_village_id:
                hh.village_id = places.own_village_id
            elif hh.village_id is None and "village" not in hh.origin:
                imp.error(S, hh.row, "village", "新登记的家庭须填写村。")
                continue
            if (
                hh.village_id is not None
                and not village_refused
                and not _code_fits_village(imp, hh)
            ):
                prefix = f"{places.code_of[hh.village_id]}-"
                imp.error(S, hh.row, "code", CODE_PREFIX_MESSAGE.format(prefix=prefix))
                continue
        if hh.group and hh.village_id:
            text, row = hh.group
            try:
                hh.fields["group_id"] = places.group(text, hh.village_id)
            except C.CellError as exc:
                imp.error(S, row, "group", str(exc))


def _load_members(imp: Importer) -> dict[int, list[Member]]:
    pks = sorted({h.pk for h in imp.existing.values() if _editable(imp, h)})
    by_household: dict[int, list[Member]] = defaultdict(list)
    for chunk in chunks(pks):
        for member in Member.objects.filter(household_id__in=chunk).order_by("pk"):
            by_household[member.household_id].append(member)
    return by_household


def _id_owners(imp: Importer) -> dict[str, int]:
    numbers = sorted(m.id_number for m in imp.members if m.id_number)
    owners: dict[str, int] = {}
    for chunk in chunks(numbers):
        owners.update(
            Member.objects.filter(id_number__in=chunk).values_list("id_number", "household_id")
        )
    return owners


def _visible_households(imp: Importer, pks: set[int]) -> dict[int, tuple]:
    qs = Household.objects.all() if imp.actor is None else Household.objects.for_user(imp.actor)
    found = {}
    for chunk in chunks(sorted(pks), CHUNK):
        for pk, code, head in qs.filter(pk__in=chunk).values_list("pk", "code", "head_name"):
            found[pk] = (code, head)
    return found


def _check_members(imp: Importer, by_household: dict) -> None:
    owners = _id_owners(imp)
    conflicts = []
    for hh in imp.households.values():
        if hh.existing is None and hh.code in imp.existing:
            continue  # another village's code: reported once on the household's first row
        target = hh.existing.pk if hh.existing else None
        existing = by_household.get(target, []) if target else []
        by_id = {m.id_number: m for m in existing if m.id_number}
        no_id_by_name = defaultdict(list)
        for m in existing:
            if not m.id_number:
                no_id_by_name[m.name].append(m)
        with_id_names = {m.name for m in existing if m.id_number}
        seen_no_id: dict[str, int] = {}
        for d in hh.members:
            if d.id_number:
                owner = owners.get(d.id_number)
                if owner is not None and owner != target:
                    conflicts.append((d, owner))
                    continue
                d.existing = by_id.get(d.id_number)
                continue
            first = seen_no_id.setdefault(d.name, d.row)
            if first != d.row:
                imp.error(
                    S,
                    d.row,
                    "name",
                    f"与第{first}行同户同名且都没有身份证号，无法区分，请填写身份证号。",
                )
            elif no_id_by_name.get(d.name):
                d.existing = no_id_by_name[d.name][0]
            elif d.name in with_id_names:
                imp.error(
                    S,
                    d.row,
                    "id_number",
                    f"本户已登记有身份证号的成员“{d.name}”，请在本行填写其身份证号。",
                )
        _check_head(imp, hh, existing)
    if conflicts:
        visible = _visible_households(imp, {owner for _, owner in conflicts})
        for d, owner in conflicts:
            if owner in visible:
                code, head = visible[owner]
                message = f"该身份证号已登记在户 {code}（{head}户），同一人不能登记在两户。"
            else:
                message = ID_ELSEWHERE
            imp.error(S, d.row, "id_number", message)


def _check_head(imp: Importer, hh, existing: list[Member]) -> None:
    heads = [m for m in hh.members if m.fields.get("relation") == "head"]
    for extra in heads[1:]:
        imp.error(S, extra.row, "relation", f"一户只能有一名户主（第{heads[0].row}行已填写户主）。")
    head = heads[0] if heads else None
    if head is None:
        if hh.existing is None and hh.members and hh.rows == len(hh.members):
            imp.error(S, hh.row, "relation", "新登记的家庭须有一名成员的“与户主关系”为“户主”。")
        return
    if "head_name" in hh.fields and hh.fields["head_name"] != head.name:
        imp.error(
            S,
            hh.origin["head_name"],
            "head_name",
            f"户主姓名“{hh.fields['head_name']}”与关系为“户主”的成员“{head.name}”（第{head.row}行）不一致。",
        )
    hh.fields["head_name"] = head.name
    matched = {d.existing.pk: d for d in hh.members if d.existing is not None}
    for em in existing:
        if em.relation != "head":
            continue
        d = matched.get(em.pk)
        if d is head or (d is not None and d.fields.get("relation", "head") != "head"):
            continue
        imp.error(
            S,
            head.row,
            "relation",
            f"本户已登记户主“{em.name}”，一户只能有一名户主；如需更换户主，"
            "请同时在文件中修改原户主的“与户主关系”，或在网页上修改。",
        )


def _people_by_name(hh, existing: list[Member]) -> dict[str, list]:
    people = defaultdict(list)
    matched = set()
    if hh is not None:
        for d in hh.members:
            people[d.name].append(d)
            if d.existing is not None:
                matched.add(d.existing.pk)
    for m in existing:
        if m.pk not in matched:
            people[m.name].append(m)
    return people


def _check_children(imp: Importer, by_household: dict) -> None:
    cache: dict[str, dict] = {}
    for sheet_name, drafts in imp.children.items():
        spec = next(s for s in C.SHEETS if s.name == sheet_name)
        for d in drafts:
            hh = imp.households.get(d.code)
            ex = imp.existing.get(d.code)
            if hh is None and (ex is None or not _editable(imp, ex)):
                imp.error(
                    spec,
                    d.row,
                    "code",
                    f"户编号“{d.code}”在“家庭成员”表和系统中都找不到（或不在您管辖的范围内）。",
                )
                continue
            if hh is not None and hh.existing is None and ex is not None:
                imp.error(spec, d.row, "code", NOT_FOUND_OR_FOREIGN.format(code=d.code))
                continue
            if not d.member_name:
                continue
            people = cache.get(d.code)
            if people is None:
                existing = by_household.get(ex.pk, []) if ex is not None else []
                people = cache[d.code] = _people_by_name(hh, existing)
            found = people.get(d.member_name, [])
            if not found:
                imp.error(spec, d.row, "member_name", f"本户没有名为“{d.member_name}”的成员。")
            elif len(found) > 1:
                imp.error(
                    spec,
                    d.row,
                    "member_name",
                    f"本户有多名成员叫“{d.member_name}”，无法确定是哪一位。",
                )
            else:
                d.member = found[0]


def _check_register(imp: Importer) -> None:
    """The register sheets: the same rules as the web form (households.register).

    A household's records in the file replace its records in the system, so a person's spells
    are checked against each other within the file.
    """
    today = clock.today()
    spells: dict[int, list[tuple[int, Spell]]] = defaultdict(list)
    for d in imp.children[C.ASSISTANCE.name]:
        f = d.fields
        errors = spell_errors(
            kind=f.get("kind", ""),
            start_date=f.get("start_date"),
            end_date=f.get("end_date"),
            exit_reason=f.get("exit_reason", ""),
            exit_note=f.get("exit_note", ""),
            monthly_amount=f.get("monthly_amount"),
            people_covered=f.get("people_covered"),
            others=[spell for _, spell in spells[id(d.member)]] if d.member is not None else (),
            today=today,
        )
        for field, message in errors:
            imp.error(C.ASSISTANCE, d.row, field if field != "member" else "member_name", message)
        if d.member is not None and not errors:
            spells[id(d.member)].append(
                (d.row, Spell(f["kind"], f["start_date"], f.get("end_date")))
            )
    for d in imp.children[C.APPLICATIONS.name]:
        f = d.fields
        for field, message in application_errors(
            kind=f.get("kind", ""),
            applied_on=f.get("applied_on"),
            outcome=f.get("outcome", ""),
            decided_on=f.get("decided_on"),
            reason=f.get("reason", ""),
            today=today,
        ):
            imp.error(C.APPLICATIONS, d.row, field, message)
