"""Write a checked import in ONE transaction with bulk statements, and audit every row written.

Creates go through xixin_dibao.audit.record_bulk_create; updates and deletes get AuditEvent rows
with before/after, written in bulk too (R-07: bulk paths are audited).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F

from xixin_dibao import clock
from xixin_dibao.audit import household_id_of, record_bulk_create, snapshot
from xixin_dibao.models import AuditEvent

from ..assistance import refresh_current
from ..idnumber import birth_date_from_id, sex_from_id
from ..models import (
    Application,
    Asset,
    AssistanceRecord,
    Expense,
    Household,
    Income,
    Member,
    Village,
)
from ..register import APPLICATION_FIELDS, RECORD_FIELDS
from ..services import next_household_codes, schedule_rescreen_many
from . import columns as C
from .validate import BLANK_CODE_KEY, Importer, MemberDraft, chunks

BATCH = 1000
IMPORT_LABEL = "Excel导入"
CHILD_KEYS = {
    Income: ("member_id", "kind", "amount", "period_months", "source", "note"),
    Asset: (
        "member_id",
        "kind",
        "vehicle_kind",
        "value",
        "recent_purchase",
        "employs_others",
        "note",
    ),
    Expense: ("kind", "amount", "note"),
    AssistanceRecord: ("member_id", *RECORD_FIELDS),
    Application: APPLICATION_FIELDS,
}
# How a row finds its household: records of a person go through the member.
HOUSEHOLD_PATH = {AssistanceRecord: "member__household_id"}
EXTRA_FIELDS = {AssistanceRecord: {"source": AssistanceRecord.Source.IMPORT}}


@dataclass
class ImportSummary:
    households_created: int = 0
    households_updated: int = 0
    households_unchanged: int = 0
    members_created: int = 0
    members_updated: int = 0
    rows_created: dict = field(default_factory=dict)  # sheet name -> count
    rows_deleted: dict = field(default_factory=dict)
    household_ids: list = field(default_factory=list)
    # New households numbered on import: (what the file said, new code, head's name).
    numbered: list = field(default_factory=list)

    def __str__(self) -> str:
        text = f"新增 {self.households_created} 户 {self.members_created} 人"
        if self.numbered:
            shown = "、".join(f"{label}→{code}" for label, code, _ in self.numbered[:20])
            more = f"等 {len(self.numbered)} 户" if len(self.numbered) > 20 else ""
            text += f"（自动编号：{shown}{more}）"
        if self.households_updated or self.members_updated:
            text += f"，更新 {self.households_updated} 户的家庭信息、{self.members_updated} 名成员的信息"
        if self.households_unchanged:
            text += f"，{self.households_unchanged} 户无变化"
        for name in C.CHILD_SHEETS:
            created, deleted = self.rows_created.get(name, 0), self.rows_deleted.get(name, 0)
            if created or deleted:
                text += f"；{name}：新增 {created} 条" + (f"、删除 {deleted} 条" if deleted else "")
        return text + "。"


def _actor(actor) -> dict:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor": None, "actor_name": "系统"}
    return {"actor": actor, "actor_name": str(actor)[:150]}


class Writer:
    def __init__(self, imp: Importer, progress=None):
        self.imp = imp
        self.actor = _actor(imp.actor)
        self.now = clock.now()
        self.progress = progress
        self.summary = ImportSummary()
        self.changed_events: list[AuditEvent] = []

    def _event(self, kind: str, obj, before, after, summary: str) -> None:
        self.changed_events.append(
            AuditEvent(
                **self.actor,
                kind=kind,
                model=obj._meta.label,
                object_id=str(obj.pk),
                household_id=household_id_of(obj),
                summary=summary[:300],
                before=before,
                after=after,
            )
        )
        if len(self.changed_events) >= BATCH:
            self._flush_events()

    def _flush_events(self) -> None:
        AuditEvent.objects.bulk_create(self.changed_events, batch_size=BATCH)
        self.changed_events = []

    def _create(self, model, objs: list, what: str) -> None:
        for chunk in chunks(objs, BATCH):
            model.objects.bulk_create(chunk, batch_size=BATCH)
            record_bulk_create(
                actor=self.imp.actor, objs=chunk, summary=f"{IMPORT_LABEL}：新增{what}"
            )

    def _update(self, model, pairs: list, fields: list[str], what: str) -> None:
        for obj, before in pairs:
            self._event(
                AuditEvent.Kind.UPDATE,
                obj,
                before,
                snapshot(obj),
                f"{IMPORT_LABEL}：修改{what}：{obj}",
            )
        for chunk in chunks([obj for obj, _ in pairs], BATCH):
            model.objects.bulk_update(chunk, fields, batch_size=BATCH)

    def _step(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message, None)

    def run(self) -> ImportSummary:
        self._step("正在写入家庭")
        self.households()
        self._step("正在写入家庭成员")
        self.members()
        for sheet_name, model in C.CHILD_SHEETS.items():
            if self.imp.children[sheet_name]:
                self._step(f"正在写入{sheet_name}")
                self.children(sheet_name, model)
        self._flush_events()
        return self.summary

    def _number_new_households(self, drafts) -> dict:
        """Codes for new households with a blank or temporary 户编号, per village as the web
        form numbers them (one query per village)."""
        by_village = defaultdict(list)
        for hh in drafts:
            if hh.code == BLANK_CODE_KEY.format(row=hh.row) or C.is_temporary_code(hh.code):
                by_village[hh.village_id].append(hh)
        codes = {}
        for village in Village.objects.filter(pk__in=list(by_village)):
            waiting = by_village[village.pk]
            for hh, code in zip(waiting, next_household_codes(village, len(waiting)), strict=True):
                codes[hh.code] = code
                label = hh.code if C.is_temporary_code(hh.code) else f"第{hh.row}行（户编号为空）"
                self.summary.numbered.append((label, code, hh.fields.get("head_name", "")))
        return codes

    def households(self) -> None:
        new, changed = [], []
        fresh = [hh for hh in self.imp.households.values() if hh.existing is None]
        codes = self._number_new_households(fresh)
        for hh in self.imp.households.values():
            ex = hh.existing
            if ex is None:
                code = codes.get(hh.code, hh.code)
                hh.existing = Household(code=code, village_id=hh.village_id, **hh.fields)
                new.append(hh.existing)
                continue
            before = _apply(ex, hh.fields)
            if before is None:
                self.summary.households_unchanged += 1
                continue
            ex.version += 1
            ex.updated_at = self.now
            changed.append((ex, before))
        self._create(Household, new, "家庭")
        fields = ["group_id", "head_name", "address", "phone", "hukou_type", "referral_source"]
        self._update(Household, changed, fields + ["version", "updated_at"], "家庭")
        self.summary.households_created = len(new)
        self.summary.households_updated = len(changed)

    def members(self) -> None:
        new, changed = [], []
        update_fields = set()
        for hh in self.imp.households.values():
            for d in hh.members:
                if d.existing is None:
                    d.instance = Member(household_id=hh.existing.pk, **d.fields)
                    if d.instance.id_number:
                        d.instance.sex, d.instance.birth_date = _sex_and_birth(d.id_number)
                    new.append(d.instance)
                    continue
                # An existing member was matched by this ID number (or, without one, by name),
                # so the number and what derives from it do not change here.
                d.instance = d.existing
                before = _apply(d.existing, d.fields)
                if before is not None:
                    changed.append((d.existing, before))
                    update_fields.update(d.fields)
        self._create(Member, new, "家庭成员")
        if changed:
            self._update(Member, changed, sorted(update_fields), "家庭成员")
        self.summary.members_created = len(new)
        self.summary.members_updated = len(changed)

    def children(self, sheet_name: str, model) -> None:
        keys = CHILD_KEYS[model]
        path = HOUSEHOLD_PATH.get(model, "household_id")
        wanted: dict[int, list] = defaultdict(list)
        for d in self.imp.children[sheet_name]:
            household = self.imp.households.get(d.code)
            household_pk = household.existing.pk if household else self.imp.existing[d.code].pk
            obj = model(**d.fields, **EXTRA_FIELDS.get(model, {}))
            if path == "household_id":
                obj.household_id = household_pk
            if "member_id" in keys:
                member = d.member.instance if isinstance(d.member, MemberDraft) else d.member
                obj.member = member
            wanted[household_pk].append(obj)
        current: dict[int, list] = defaultdict(list)
        for chunk in chunks(sorted(wanted)):
            rows = model.objects.filter(**{f"{path}__in": chunk}).annotate(hh=F(path))
            for obj in rows.order_by("pk"):
                current[obj.hh].append(obj)
        new, gone = [], []
        for household_pk, objs in wanted.items():
            have = Counter(
                tuple(getattr(o, k) for k in keys) for o in current.get(household_pk, [])
            )
            for obj in objs:
                key = tuple(getattr(obj, k) for k in keys)
                if have[key] > 0:
                    have[key] -= 1
                else:
                    new.append(obj)
            for old in current.get(household_pk, []):
                key = tuple(getattr(old, k) for k in keys)
                if have[key] > 0:
                    have[key] -= 1
                    gone.append(old)
        what = model._meta.verbose_name
        for old in gone:
            self._event(
                AuditEvent.Kind.DELETE,
                old,
                snapshot(old),
                None,
                f"{IMPORT_LABEL}：删除{what}：{old}",
            )
        for chunk in chunks([o.pk for o in gone], BATCH):
            model.objects.filter(pk__in=chunk).delete()
        self._create(model, new, what)
        if model is AssistanceRecord:
            refresh_current(wanted)
        self.summary.rows_created[sheet_name] = len(new)
        self.summary.rows_deleted[sheet_name] = len(gone)


def _apply(obj, fields: dict) -> dict | None:
    """Set `fields` on `obj`; return its snapshot from before, or None when nothing changes."""
    if all(getattr(obj, key) == value for key, value in fields.items()):
        return None
    before = snapshot(obj)
    for key, value in fields.items():
        setattr(obj, key, value)
    return before


def _sex_and_birth(number: str):
    return sex_from_id(number), birth_date_from_id(number)


def write_import(imp: Importer, *, progress=None) -> ImportSummary:
    """Apply the drafts in one transaction; re-screen every household named in the file."""
    with transaction.atomic():
        summary = Writer(imp, progress).run()
        ids = {hh.existing.pk for hh in imp.households.values()}
        for drafts in imp.children.values():
            ids.update(imp.existing[d.code].pk for d in drafts if d.code not in imp.households)
        summary.household_ids = sorted(ids)
        schedule_rescreen_many(summary.household_ids)
    return summary
