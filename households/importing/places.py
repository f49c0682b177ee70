"""Villages and groups an importer may write to, and reading them from cells (S-04).

Everything is loaded once; each distinct cell text is resolved once and cached.
"""

import re

from ..models import Village, VillageGroup
from .columns import CN_DIGITS, CellError

GROUP_RE = re.compile(r"^第?([0-9]+|[一二三四五六七八九十]+)(组|社|村民组)?$")


def _cn_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text in CN_DIGITS:
        return CN_DIGITS[text]
    if len(text) == 2 and text[0] == "十" and text[1] in CN_DIGITS:
        return 10 + CN_DIGITS[text[1]]
    if len(text) in (2, 3) and text[1] == "十" and text[0] in CN_DIGITS:
        tail = CN_DIGITS.get(text[2], 0) if len(text) == 3 else 0
        return CN_DIGITS[text[0]] * 10 + tail
    return None


def allowed_village_ids(actor, villages) -> set[int]:
    """Villages `actor` may import into: the same rule as Household.objects.for_user."""
    if actor is None or actor.is_superuser:
        return {v[0] for v in villages}
    if actor.is_village_officer:
        return {actor.village_id} if actor.village_id else set()
    if actor.township_id:
        return {v[0] for v in villages if v[3] == actor.township_id}
    return {v[0] for v in villages}


class Places:
    def __init__(self, actor):
        self.actor = actor
        villages = list(Village.objects.values_list("id", "code", "name", "township_id"))
        self.allowed = allowed_village_ids(actor, villages)
        self.name_of = {v[0]: v[2] for v in villages}
        self.by_code = {v[1]: v[0] for v in villages}
        self.code_of = {v[0]: v[1] for v in villages}
        self.by_name: dict[str, list[int]] = {}
        for vid, _code, name, _t in villages:
            self.by_name.setdefault(name, []).append(vid)
        # Longest names first so "保合村" is not mistaken for a shorter prefix.
        self.names_longest_first = sorted(self.by_name, key=len, reverse=True)
        self.groups: dict[int, dict] = {}
        for gid, vid, number, name in VillageGroup.objects.filter(
            village_id__in=self.allowed
        ).values_list("id", "village_id", "number", "name"):
            table = self.groups.setdefault(vid, {"name": {}, "number": {}, "labels": []})
            table["name"][name] = gid
            table["number"][number] = gid
            table["labels"].append(name)
        self._village_cache: dict[str, object] = {}
        self._group_cache: dict[tuple, object] = {}

    @property
    def own_village_id(self) -> int | None:
        if self.actor is not None and self.actor.is_village_officer:
            return self.actor.village_id
        return None

    def out_of_scope_message(self, text: str) -> str:
        own = self.own_village_id
        if own:
            return f"您只能导入本村（{self.name_of.get(own, '')}）的家庭，不能导入“{text}”的数据。"
        return f"“{text}”不在您管辖的范围内，不能导入。"

    def village(self, text: str) -> int:
        """The village id for a cell's text (name or 12-digit code); CellError if not allowed."""
        cached = self._village_cache.get(text)
        if cached is None:
            cached = self._village_cache[text] = self._resolve_village(text)
        if isinstance(cached, CellError):
            raise cached
        return cached

    def _resolve_village(self, text: str):
        candidates = [self.by_code[text]] if text in self.by_code else self.by_name.get(text, [])
        if not candidates:
            names = sorted(self.name_of[v] for v in self.allowed)
            hint = f"可填：{'、'.join(names)}。" if 0 < len(names) <= 30 else ""
            return CellError(f"系统中没有“{text}”这个村。{hint}")
        allowed = [v for v in candidates if v in self.allowed]
        if not allowed:
            return CellError(self.out_of_scope_message(text))
        if len(allowed) > 1:
            return CellError(f"有多个村都叫“{text}”，请改填12位村代码。")
        return allowed[0]

    def group(self, text: str, village_id: int) -> int:
        """The group id for a cell's text within `village_id`; CellError if it is not there."""
        key = (text, village_id)
        cached = self._group_cache.get(key)
        if cached is None:
            cached = self._group_cache[key] = self._resolve_group(text, village_id)
        if isinstance(cached, CellError):
            raise cached
        return cached

    def _resolve_group(self, text: str, village_id: int):
        village_name = self.name_of.get(village_id, "")
        rest = text
        for name in self.names_longest_first:
            if text.startswith(name) and len(text) > len(name):
                if village_id not in self.by_name[name]:
                    if name not in (self.name_of[v] for v in self.allowed):
                        return CellError(self.out_of_scope_message(text))
                    return CellError(
                        f"村民组“{text}”属于{name}，与本户的村（{village_name}）不一致。"
                    )
                rest = text[len(name) :]
                break
        table = self.groups.get(village_id, {"name": {}, "number": {}, "labels": []})
        if rest in table["name"]:
            return table["name"][rest]
        match = GROUP_RE.match(rest)
        number = _cn_number(match.group(1)) if match else None
        if number is not None and number in table["number"]:
            return table["number"][number]
        labels = "、".join(table["labels"]) or "（该村尚未设置村民组）"
        return CellError(f"{village_name}没有“{text}”这个村民组。可填：{labels}。")
