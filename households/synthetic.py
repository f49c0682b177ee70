"""Seeded synthetic households for the demo fixture and the scale data (no real person's data).

One model serves both: `HouseholdBuilder.household()` returns plain dicts (never model instances),
`flatten()` turns them into rows keyed by column attname with explicit pks, and the commands
`build_demo_fixture` and `generate_synthetic` write those rows as JSON, with COPY or with executemany.
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from . import idnumber
from .assistance import assistance_text

AS_OF = date(2022, 11, 10)  # ages and histories as of the demo's pinned "today"
AREA = "500240"  # 石柱土家族自治县
HUBEI_AREAS = ("422802", "422826")  # 利川市、咸丰县, across the border from 洗新乡
DEMO_ID_SEQUENCES = (10, 200)  # demo and scale data never share an ID number
SCALE_ID_SEQUENCES = (200, 1000)
CREATED_AT = datetime.combine(date(2022, 10, 26), time(9), ZoneInfo("Asia/Shanghai"))
YEAR = 365.2425
DAYS_18Y, DAYS_40Y = 6576, 14600  # always ≥ 18 and < 40 full years apart

SURNAMES = (  # 土家族-region surnames first, repeated for weight
    "谭谭谭谭冉冉冉马马马马向向向秦秦秦隆隆陈陈陈陈刘刘刘王王王李李李张张张黄黄周周"
    "杨吴肖何罗崔万余彭田卢谢徐熊牟郎汪程甘文姚邓朱潘陶钟龚廖袁谷"
)
GIVEN = {  # (sex, era): born before 1965 / 1965–1989 / 1990 on
    ("M", 0): "德福贵明华国建军文成永志世光学清中天云山林海发兴昌富祥万全才太远绍",
    ("F", 0): "秀英兰芳桂珍玉淑凤翠菊梅琼素群香莲碧春会琴仙",
    ("M", 1): "伟勇强斌涛波杰刚平辉鹏林东明兵超磊飞峰洪江川松亮军",
    ("F", 1): "丽娟敏燕红霞艳玲琴芳静梅莉萍英琳利容蓉丹",
    ("M", 2): "浩宇轩子俊杰睿博文泽豪鑫宸航晨然凯毅一铭锦",
    ("F", 2): "欣怡梓涵雨萱佳思诗可馨悦彤瑶琪雪婷语若",
}
RARE = {"M": "堃喆犇淼䶮", "F": "玥淼喆"}  # rare characters: fonts, collation, PDFs
ILLNESSES = ("尿毒症", "恶性肿瘤", "白血病", "重症精神病", "脑卒中后遗症", "严重心脏病")
DISABILITY_LABELS = dict(
    physical="肢体", visual="视力", hearing="听力", speech="言语", intellectual="智力",
    psychiatric="精神", multiple="多重",
)  # fmt: skip
DISABILITY_KINDS = (("physical", 50), ("visual", 12), ("hearing", 12), ("speech", 4),
                    ("intellectual", 9), ("psychiatric", 8), ("multiple", 5))  # fmt: skip

SIZES = ((1, 12), (2, 18), (3, 25), (4, 23), (5, 13), (6, 6), (7, 3))  # mode 3–4, mean ≈ 3.4
# Roles: H head, S spouse, P head's parent, C child, L child's spouse, G grandchild.
TEMPLATES = {
    1: (("H", 1),),
    2: (("HS", 55), ("HC", 20), ("HG", 10), ("HP", 15)),
    3: (("HSC", 45), ("HCC", 10), ("HSG", 12), ("HGG", 8), ("HSP", 15), ("HPC", 10)),
    4: (("HSCC", 50), ("HSPC", 20), ("HSGG", 15), ("HSCL", 15)),
    5: (("HSCCC", 15), ("HSPCC", 30), ("HSPPC", 20), ("HSCLG", 25), ("HSGGG", 10)),
    6: (("HSPPCC", 50), ("HSCLGG", 50)),
    7: (("HSPPCCC", 50), ("HSCLGGG", 50)),
}
# Per-capita counted income to aim at, by feature; the survey set leans poor, as a 扩围 does.
TARGETS = (("extreme_poverty", 800, 5000), ("single_person", 7000, 10400),
           ("marginal", 7000, 10400), ("expenditure", 4000, 9500), ("covid", 2000, 8000),
           ("elderly_alone", 2000, 9000), ("refused", 6000, 14000),
           ("dibao_exit", 7000, 16000), ("dibao_exit_2022", 7000, 16000))  # fmt: skip
TIERS = ((2500, 6900, 30), (7000, 10400, 25), (10500, 16000, 25), (16000, 30000, 20))
VEHICLES = (("motorcycle", 0.3, 2, 8), ("tricycle", 0.08, 3, 10), ("car", 0.01, 40, 120),
            ("truck", 0.01, 50, 150), ("farm_machinery_large", 0.005, 30, 90))  # fmt: skip
EXIT_REASONS = ("income_rose", "income_rose", "assets", "refused_check", "voluntary", "other")
OTHER_EXIT_NOTE = "家庭成员变动后重新核定"
REFUSALS = ("家庭人均收入高于低保标准", "家庭拥有小汽车，财产状况不符合", "存款超过规定标准",
            "未签署家庭经济状况核查授权书", "子女有赡养能力且实际履行赡养义务")  # fmt: skip
EXCLUSIONS = {"prison": "在重庆市某监狱服刑", "missing": "经法院宣告失踪",
              "clergy_3y": "在寺院出家三年以上"}  # fmt: skip
REFERRALS = (("petition", "petition"), ("dibao", "existing"), ("marginal", "existing"),
             ("single_person", "existing"), ("extreme_poverty", "existing"),
             ("dibao_exit", "lookback"), ("dibao_exit_2022", "lookback"), ("refused", "lookback"),
             ("monitoring", "department_data"),
             ("outreach_missed", "cadre_survey"))  # fmt: skip
RECORDED = (  # priority groups an officer records, with the evidence
    ("recorded_hardship", 1, "村干部走访：{head}家住房破旧、缺少劳动力，生活困难（附走访照片）"),
    ("covid", 9, "{worker}所在务工企业停工证明；连续{months}个月无收入"),
    ("outreach_missed", 11, "村民小组长反映：{head}家不了解低保政策，此前从未申请"),
)
SPELL_NOTES = {
    "dibao": "低保金",
    "dibao_single": "低保金（单人户）",
    "extreme_poverty": "特困供养金",
}
# The 2022 campaign's numbers (fixtures/reference.json), used here only to size amounts.
EXCLUDED_KINDS = frozenset(
    "basic_pension veterans_benefit family_planning_award scholarship heroism_award "
    "social_assistance elderly_allowance disability_subsidy".split()
)
EMPLOYMENT_COST_RATE = Decimal("0.30")
STANDARD_MONTHLY = 581  # 低保 standard, 元/人/月
EXTREME_POVERTY_MONTHLY = 827  # 特困 basic living standard from 2021-09 (rules.md §9.1)


def money(value) -> Decimal:
    """Whole yuan as Decimal; exact amounts such as "871.50" pass as strings."""
    return Decimal(value) if isinstance(value, str) else Decimal(int(round(value)))


def age_on(born: date, day: date = AS_OF) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def weighted(rng: random.Random, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[-1] for p in pairs])[0]


class IdNumbers:
    """Unique, valid ID numbers: area + birth date + a sequence whose parity gives the sex."""

    def __init__(self, sequences=SCALE_ID_SEQUENCES):
        self.low, self.high = sequences
        self.used: dict[tuple, int] = {}

    def issue(self, area: str, born: date, sex: str) -> tuple[str, date]:
        while True:
            n = self.used.get((area, born, sex), 0)
            sequence = self.low + 2 * n + (sex == "M")
            if sequence < self.high:
                self.used[(area, born, sex)] = n + 1
                return idnumber.make(area, born, sequence), born
            born += timedelta(days=1)  # that day is full: born a day later


class HouseholdBuilder:
    """Build realistic households from one seeded random stream."""

    def __init__(self, seed: int, *, id_sequences=SCALE_ID_SEQUENCES, rare_rate: float = 0.004):
        self.rng = random.Random(seed)
        self.ids = IdNumbers(id_sequences)
        self.rare_rate = rare_rate
        self.today = AS_OF.toordinal()

    # --- people ------------------------------------------------------------------------------
    def name(self, surname: str, sex: str, born: date, *, shared: str = "") -> str:
        rng = self.rng
        chars = GIVEN[(sex, 0 if born.year < 1965 else 1 if born.year < 1990 else 2)]
        if rng.random() < self.rare_rate:
            return surname + rng.choice(RARE[sex]) + rng.choice(("", rng.choice(chars)))
        if not shared and rng.random() < 0.2:
            return surname + rng.choice(chars)
        return surname + (shared or rng.choice(chars)) + rng.choice(chars)

    def born_aged(self, low: int, high: int) -> date:
        first = self.today - int((high + 1) * YEAR) + 1
        return date.fromordinal(self.rng.randint(first, self.today - int(low * YEAR)))

    def born_after(self, parents: list[date], min_age=0, max_age=None) -> date | None:
        """A birth date 18–40 years after every parent's; aged min_age..max_age where possible."""
        lo = max(p.toordinal() for p in parents) + DAYS_18Y
        hi = min(min(p.toordinal() for p in parents) + DAYS_40Y, self.today - 1)
        want_lo = max(lo, self.today - int((max_age + 1) * YEAR) + 1) if max_age else lo
        want_hi = min(hi, self.today - int(min_age * YEAR))
        if want_lo <= want_hi:
            lo, hi = want_lo, want_hi
        return date.fromordinal(self.rng.randint(lo, hi)) if lo <= hi else None

    def person(self, relation: str, sex: str, born: date, surname: str, shared="") -> dict:
        id_number, born = self.ids.issue(AREA, born, sex)
        name = self.name(surname, sex, born, shared=shared)
        return dict(name=name, id_number=id_number, sex=sex, birth_date=born, relation=relation,
                    age=age_on(born), assistance=[])  # fmt: skip

    def compose(self, template: str, head_age: tuple[int, int]) -> list[dict]:
        """People for a template such as "HSPCC", birth dates consistent with their relations."""
        rng = self.rng
        sex = "M" if rng.random() < (0.85 if "S" in template else 0.55) else "F"
        surname = rng.choice(SURNAMES)
        head = self.person("head", sex, self.born_aged(*head_age), surname)
        people, couple, family_name = [head], [head["birth_date"]], surname
        if "S" in template:
            shift = rng.randint(-2, 6) * 365 * (1 if sex == "M" else -1)
            born = min(head["birth_date"].toordinal() + shift, self.today - 6600)
            spouse = self.person(
                "spouse", "MF"[sex == "M"], date.fromordinal(born), rng.choice(SURNAMES)
            )
            people.append(spouse)
            couple.append(spouse["birth_date"])
            family_name = spouse["name"][0] if spouse["sex"] == "M" else surname
        parents = template.count("P")
        for i in range(parents):
            psex = "MF"[i] if parents == 2 else rng.choice("MF")
            low = max(head["birth_date"].toordinal() - DAYS_40Y, self.today - int(95 * YEAR))
            high = max(head["birth_date"].toordinal() - DAYS_18Y, low)
            born = date.fromordinal(rng.randint(low, high))
            psurname = surname if psex == "M" else rng.choice(SURNAMES)
            people.append(self.person("parent", psex, born, psurname))
        children = self._children(template, couple, family_name)
        people += children
        people += self._grandchildren(template, couple, children, family_name)
        return people

    def _children(self, template: str, couple: list[date], family_name: str) -> list[dict]:
        rng, children = self.rng, []
        shared = rng.choice(GIVEN[("M", 2)]) if rng.random() < 0.3 else ""  # 字辈
        for i in range(template.count("C")):
            married = "L" in template and i == 0  # the son who stays, with his wife
            born = self.born_after(
                couple, min_age=20 if married else 0, max_age=None if married else 17
            )
            if born is not None:
                sex = "M" if married or rng.random() < 0.52 else "F"
                shared_char = shared if born.year >= 1990 else ""
                children.append(self.person("child", sex, born, family_name, shared_char))
        return children

    def _grandchildren(self, template, couple, children, family_name) -> list[dict]:
        rng, people = self.rng, []
        parents = couple
        if "L" in template and children:
            son = children[0]
            born = min(son["birth_date"].toordinal() + rng.randint(-3, 3) * 365, self.today - 7300)
            wife = self.person(
                "child_in_law",
                "MF"[son["sex"] == "M"],
                date.fromordinal(born),
                rng.choice(SURNAMES),
            )
            people.append(wife)
            parents = [son["birth_date"], wife["birth_date"]]
        for _ in range(template.count("G")):
            if parents is couple:  # grandparents raising left-behind children
                low = max(max(b.toordinal() for b in couple) + 2 * DAYS_18Y, self.today - 17 * 365)
                high = min(max(b.toordinal() for b in couple) + 2 * DAYS_40Y, self.today - 1)
                born = date.fromordinal(rng.randint(low, high)) if low <= high else None
            else:
                born = self.born_after(parents, max_age=17)
            if born is not None:
                people.append(self.person("grandchild", rng.choice("MF"), born, family_name))
        return people

    # --- circumstances -------------------------------------------------------------------------
    def circumstances(self, member: dict) -> None:
        """Work capacity, schooling, disability, illness and job for one person, by age."""
        rng, age = self.rng, member["age"]
        if age < 16:
            member["work_capacity"] = "none"
        elif age >= 60:
            member["work_capacity"] = rng.choice(
                ("none", "partial") if age >= 75 else ("partial", "full")
            )
        level = next((lv for lo, hi, lv in SCHOOL if lo <= age <= hi), "")
        if level and rng.random() < {"senior": 0.75, "college": 0.3}.get(level, 1):
            member["student_level"] = level
        if rng.random() < (0.04 if age < 60 else 0.1):
            self.disable(member, grade=weighted(rng, ((1, 10), (2, 20), (3, 30), (4, 40))))
        if rng.random() < (0.015 if age < 50 else 0.05):
            self.fall_ill(member)
        able = member.get("work_capacity", "full") != "none" and not member.get("student_level")
        if able and 18 <= age < 60 and member.get("work_capacity", "full") == "full":
            roll = rng.random()
            job = "away" if roll < 0.45 else "local" if roll < 0.6 else "farm"
            member.update(job=job, employed=job != "farm", works_away=job == "away")
        elif able and 16 <= age < 75:
            member["job"] = "farm"

    def disable(self, member: dict, *, grade: int, kind: str = "") -> None:
        kind = kind or weighted(self.rng, DISABILITY_KINDS)
        member.update(disability_kind=kind, disability_grade=grade)
        if grade <= 2 or (grade == 3 and kind in ("intellectual", "psychiatric")):
            member.update(work_capacity="none", employed=False, works_away=False, job="")
        elif member["age"] >= 16 and member.get("work_capacity", "full") == "full":
            member["work_capacity"] = "partial"

    def fall_ill(self, member: dict) -> None:
        member.update(serious_illness=True, illness=self.rng.choice(ILLNESSES))
        if member["age"] >= 16 and self.rng.random() < 0.5:
            member.update(work_capacity="none", employed=False, works_away=False, job="")
        elif member["age"] >= 16 and member.get("work_capacity", "full") == "full":
            member["work_capacity"] = "partial"

    # --- one household ---------------------------------------------------------------------------
    def household(self, *, features=(), pci=None, tuopin=None, rare_char="") -> dict:
        """A household with members, incomes, assets, spending and its assistance history."""
        features = set(features)
        template, head_age = self._template(features)
        people = self.compose(template, head_age)
        for member in people:
            self.circumstances(member)
        if rare_char:
            target = next((p for p in people if rare_char in RARE[p["sex"]]), people[0])
            target["name"] = target["name"][0] + rare_char + target["name"][2:]
        hh = dict(members=people, incomes=[], assets=[], expenses=[], applications=[],
                  group_records=[], notes=[])  # fmt: skip
        self._shape_people(hh, features)
        self._shape_work(hh, features)
        self.incomes(hh, pci if pci is not None else self._target_pci(features))
        self.excluded_incomes(hh)
        self.assistance(hh, features)
        self.assets(hh, features)
        self.expenses(hh, features)
        self.household_fields(hh, features, tuopin)
        return hh

    def _template(self, features: set) -> tuple[str, tuple[int, int]]:
        rng = self.rng
        if "extreme_poverty" in features and rng.random() < 0.3:
            features.add("disabled_adult")
            return "H", (30, 59)
        if features & {"elderly_alone", "extreme_poverty"}:
            return "H", (62, 90)
        if "single_person" in features:
            return rng.choice(("HSC", "HSCC", "HS")), (48, 70)
        if features & {"covid", "single_earner", "non_cq_spouse", "stable_no_proof"}:
            return rng.choice(("HSC", "HSCC", "HSPC", "HSPCC")), (28, 48)
        if "excluded_member" in features:
            return rng.choice(("HSC", "HSCC")), (45, 62)
        template = weighted(rng, TEMPLATES[weighted(rng, SIZES)])
        return template, self._head_age(template)

    def _head_age(self, template: str) -> tuple[int, int]:
        for role, ages in (("L", (50, 74)), ("G", (54, 78)), ("P", (26, 52)), ("C", (24, 60))):
            if role in template:
                return ages
        if template == "HS":
            return (60, 86) if self.rng.random() < 0.65 else (36, 59)
        return (60, 90) if self.rng.random() < 0.7 else (25, 59)

    def _shape_people(self, hh: dict, features: set) -> None:
        """Give the household the disability, illness, exclusion or 户籍 its features name."""
        rng, people = self.rng, hh["members"]
        head = people[0]
        if features & {"disabled_adult", "extreme_poverty"}:
            head.update(has_able_supporter=False, lives_alone=head["age"] >= 60)
            if head["age"] < 60 and not head.get("disability_grade"):
                self.disable(
                    head, grade=rng.choice((1, 2)), kind=rng.choice(("intellectual", "physical"))
                )
        if "elderly_alone" in features:
            head.update(lives_alone=True, supporters_work_away=True)
        if "single_person" in features:
            target = next((p for p in people[1:] if p["age"] >= 18), people[-1])
            target.update(student_level="", single_person=True)
            if "ill_basis" in features:
                self.fall_ill(target)
                target.update(work_capacity="none", employed=False, works_away=False, job="")
            else:
                self.disable(target, grade=rng.choice((1, 2)))
        if "non_cq_spouse" in features and people[1:] and people[1]["relation"] == "spouse":
            spouse = people[1]
            area = rng.choice(HUBEI_AREAS)
            spouse["id_number"], spouse["birth_date"] = self.ids.issue(
                area, spouse["birth_date"], spouse["sex"]
            )
            spouse["chongqing_hukou"] = False
        target = next((p for p in people[1:] if p["age"] >= 20), None)
        if "excluded_member" in features and target:
            kind = weighted(rng, (("prison", 6), ("missing", 2), ("clergy_3y", 1)))
            target.update(
                exclusion=kind,
                exclusion_note=EXCLUSIONS[kind],
                employed=False,
                works_away=False,
                job="",
            )
        if "disabled" in features and not any(p.get("disability_grade") for p in people):
            self.disable(people[-1], grade=rng.choice((1, 2, 3, 4)))
        if features & {"ill", "expenditure"} and not any(p.get("serious_illness") for p in people):
            self.fall_ill(head)
        for p in people:
            facts = []
            if p.get("disability_grade"):
                label = DISABILITY_LABELS[p["disability_kind"]]
                facts.append(f"{label}残疾{p['disability_grade']}级")
            if p.get("serious_illness"):
                facts.append(f"患{p['illness']}")
            if facts:
                hh["notes"].append(p["name"] + "、".join(facts))

    def _shape_work(self, hh: dict, features: set) -> None:
        """One earner working away, stable work without proof of pay, or COVID idleness."""
        people = hh["members"]
        adults = [p for p in people if 18 <= p["age"] < 60 and p.get("job")]
        if not (features & {"covid", "single_earner", "stable_no_proof"} and adults):
            return
        for p in people:
            if p.get("job") in ("away", "local"):
                p.update(employed=False, works_away=False, job="farm")
        worker = adults[0]
        worker["work_capacity"] = "full"
        if "single_earner" in features:
            worker.update(employed=True, works_away=True, job="away")
        if "stable_no_proof" in features:
            worker.update(employed=True, job="local", stable_employment_no_proof=True)
        if "covid" in features:
            months = self.rng.choice((3, 4, 5, 6, 8)) if self.rng.random() < 0.85 else 2
            worker.update(unemployed_due_to_covid=True, months_without_income=months, job="")
            hh["notes"].append(f"{worker['name']}受疫情影响停工{months}个月")

    def _target_pci(self, features: set) -> float:
        uniform = self.rng.uniform
        for feature, low, high in TARGETS:
            if feature in features:
                return uniform(low, high)
        if "dibao" in features:  # one in five current recipients is now above the line
            return uniform(2500, 6900) if self.rng.random() < 0.8 else uniform(7000, 12000)
        low, high, _ = weighted(self.rng, [(t, t[2]) for t in TIERS])
        return uniform(low, high)

    # --- money -------------------------------------------------------------------------------------
    def incomes(self, hh: dict, target: float) -> None:
        """Natural income sources scaled so per-capita counted income lands near `target`."""
        rng, people = self.rng, hh["members"]
        counted = [p for p in people if not p.get("exclusion") and not p.get("single_person")]
        items = [
            [i, "wage", rng.uniform(*WAGES[p["job"]]), WAGE_NOTES[p["job"]]]
            for i, p in enumerate(people)
            if p.get("job") in WAGES
            and not p.get("stable_employment_no_proof")
            and not p.get("exclusion")
        ]
        farm = sum(rng.uniform(2500, 8000) for p in counted if p.get("job") == "farm")
        if farm or not items:
            items.append([None, "operating", farm or rng.uniform(1500, 5000), rng.choice(FARMING)])
        if rng.random() < 0.1:
            items.append([0, "property", rng.uniform(300, 2000), "土地流转租金"])
        if people[0]["age"] >= 60 and not any(p.get("employed") for p in people):
            items.append([0, "transfer_support", rng.uniform(1200, 6000), "子女赡养费"])
        pensions = [people.index(p) for p in counted if p["age"] >= 60 and rng.random() < 0.03]
        fixed = {i: rng.randint(1800, 3000) * 10 for i in pensions}
        scalable = sum(v * (0.7 if kind == "wage" else 1) for _, kind, v, _ in items)
        room = target * max(len(counted), 1) - sum(fixed.values())
        factor = min(max(room / scalable, 0.15), 2.0) if scalable else 1  # keep amounts plausible
        for member, kind, value, note in items:
            self.income(hh, member, kind, round(value * factor, -1), note)
        for member, amount in fixed.items():
            self.income(hh, member, "pension", amount, "企业退休金", source="data_match")

    def income(self, hh, member, kind, amount, note="", period=12, source="") -> None:
        if not source:
            source = "data_match" if kind == "wage" and self.rng.random() < 0.5 else "declared"
        hh["incomes"].append(dict(member=member, kind=kind, amount=money(amount), period_months=period,
                                  source=source, note=note))  # fmt: skip

    def excluded_incomes(self, hh: dict) -> None:
        """Kinds left out of family income (《最低生活保障审核确认办法》第十三条)."""
        rng, add = self.rng, self.income
        for i, p in enumerate(hh["members"]):
            if p.get("exclusion"):
                continue
            if p["age"] >= 60:
                amount = rng.choice((1380, 1500, 1656, 1800, 2100))
                add(hh, i, "basic_pension", amount, "城乡居民基础养老金", source="data_match")
                if rng.random() < 0.05:
                    add(hh, i, "family_planning_award", 960, "农村计划生育家庭奖励扶助")
            if p["age"] >= 80:
                add(hh, i, "elderly_allowance", 600 if p["age"] < 90 else 1200, "高龄津贴")
            if p.get("disability_grade") in (1, 2):
                add(hh, i, "disability_subsidy", 1560, "残疾人两项补贴")
            if p.get("student_level") == "college" and rng.random() < 0.3:
                add(hh, i, "scholarship", rng.choice((2000, 3000, 5000)), "国家助学金")
            if p["age"] >= 55 and p["sex"] == "M" and rng.random() < 0.01:
                add(hh, i, "veterans_benefit", rng.randint(4, 12) * 1000, "退役军人优待金")

    # --- history --------------------------------------------------------------------------------------
    def day(self, first: date, last: date) -> date:
        return date.fromordinal(self.rng.randint(first.toordinal(), last.toordinal()))

    def assistance(self, hh: dict, features: set) -> None:
        """Current and past 低保/边缘/特困 spells and past applications."""
        rng, people, day = self.rng, hh["members"], self.day
        counted = [p for p in people if not p.get("exclusion")]
        gap = max(round(STANDARD_MONTHLY - float(per_capita_income(hh)) / 12), 40)
        if "dibao" in features:
            self._spell(hh, counted, "dibao", day(date(2014, 1, 1), date(2022, 9, 1)), amount=gap)
        for feature, first, last in EXITS:
            if feature in features:
                end = day(first, last)
                start = day(date(2014, 1, 1), end - timedelta(days=400))
                reason = rng.choice(EXIT_REASONS)
                self._spell(hh, counted, "dibao", start, end=end, amount=gap, exit_reason=reason)
        if "marginal" in features:
            self._spell(hh, counted, "marginal", day(date(2021, 3, 1), date(2022, 9, 30)))
        if "single_person" in features:
            self._single_person(hh, features, counted)
        if "extreme_poverty" in features:
            start = day(date(2012, 1, 1), date(2022, 6, 30))
            self._spell(hh, people[:1], "extreme_poverty", start, amount=EXTREME_POVERTY_MONTHLY)
        for feature, first, last, outcome in APPLICATIONS:
            if feature in features:
                reason = rng.choice(REFUSALS) if outcome == "refused" else ""
                hh["applications"].append(dict(applied_on=day(first, last), kind="dibao", outcome=outcome,
                                               reason=reason))  # fmt: skip

    def _single_person(self, hh: dict, features: set, counted: list[dict]) -> None:
        """One 重残/重病 member on 低保 as a 单人户; the rest of the family 边缘 (unless not yet)."""
        person = next(p for p in hh["members"] if p.get("single_person"))
        if person.get("serious_illness"):
            basis = f"重特大疾病（{person['illness']}）"
        else:
            label = DISABILITY_LABELS[person["disability_kind"]]
            basis = f"重度残疾（{label}{person['disability_grade']}级）"
        start = self.day(date(2021, 2, 1), date(2022, 9, 30))
        self._spell(
            hh,
            [person],
            "dibao_single",
            start,
            amount=self.rng.randint(450, STANDARD_MONTHLY),
            basis=basis,
        )
        if "no_marginal" not in features:
            later = start + timedelta(days=self.rng.randint(0, 60))
            self._spell(hh, [p for p in counted if p is not person], "marginal", later)

    def _spell(self, hh, members, kind, start, *, end=None, amount=None, exit_reason="", basis=""):
        members = [p for p in members if p["birth_date"] < (end or AS_OF)]
        for p in members:
            p["assistance"].append(dict(
                kind=kind, start_date=max(start, p["birth_date"] + timedelta(days=30)), end_date=end,
                exit_reason=exit_reason, single_person_basis=basis,
                exit_note=OTHER_EXIT_NOTE if exit_reason == "other" else "",
                monthly_amount=None if amount is None else money(amount),
            ))  # fmt: skip
        applied = start - timedelta(days=self.rng.randint(20, 45))
        hh["applications"].append(
            dict(applied_on=applied, kind=kind, outcome="approved", reason="")
        )
        if end is None and amount is not None and members:
            member = hh["members"].index(members[0]) if len(members) == 1 else None
            total = amount * 12 * len(members)
            self.income(
                hh, member, "social_assistance", total, SPELL_NOTES[kind], source="data_match"
            )

    def assets(self, hh: dict, features: set) -> None:
        rng, add = self.rng, hh["assets"].append
        counted = sum(1 for p in hh["members"] if not p.get("exclusion"))
        if "two_houses" in features or rng.random() < 0.96:
            note = rng.choice(("自建砖混房", "木结构老房", "易地扶贫搬迁安置房"))
            add(dict(member=0, kind="house", value=money(rng.randint(40, 250) * 1000), note=note))
        if "two_houses" in features:
            value, recent = money(rng.randint(220, 480) * 1000), rng.random() < 0.5
            add(
                dict(member=0, kind="house", value=value, recent_purchase=recent, note="县城商品房")
            )
        if "rich_deposit" in features:  # above 3 × the annual standard per head
            value = money(STANDARD_MONTHLY * 12 * 3 * counted + rng.randint(5, 60) * 1000)
            add(dict(member=0, kind="deposit", value=value, note="定期存款"))
        elif rng.random() < 0.65:
            value = money(min(rng.lognormvariate(8.2, 1.0), 50000) // 100 * 100 + 100)
            add(dict(member=0, kind="deposit", value=value, note="活期存款"))
        for kind, share, low, high in VEHICLES:
            if rng.random() < share or (kind == "car" and "car" in features):
                value = money(rng.randint(low, high) * 1000)
                add(dict(member=0, kind="vehicle", vehicle_kind=kind, value=value))
        if "business" in features:
            value, hires = money(rng.randint(20, 80) * 1000), rng.random() < 0.3
            note = rng.choice(("小卖部", "农家乐", "黄连收购点"))
            add(dict(member=0, kind="business", value=value, employs_others=hires, note=note))
        if rng.random() < 0.01:
            add(
                dict(
                    member=0,
                    kind="securities",
                    value=money(rng.randint(5, 30) * 1000),
                    note="商业保险",
                )
            )

    def expenses(self, hh: dict, features: set) -> None:
        """Rigid spending of the last 12 months: medical, schooling, rehabilitation, disaster."""
        rng, add = self.rng, hh["expenses"].append
        for p in hh["members"]:
            if p.get("exclusion"):
                continue
            if p.get("serious_illness"):
                add(
                    dict(
                        kind="medical",
                        amount=money(rng.randint(80, 600) * 100),
                        note=f"{p['illness']}治疗自付",
                    )
                )
            if p.get("disability_grade") in (1, 2) and rng.random() < 0.4:
                add(
                    dict(
                        kind="rehabilitation",
                        amount=money(rng.randint(20, 80) * 100),
                        note="残疾康复",
                    )
                )
            if p.get("student_level") == "college":
                add(
                    dict(
                        kind="education",
                        amount=money(rng.randint(80, 150) * 100),
                        note="大学学费住宿费",
                    )
                )
        if "expenditure" in features:  # at least 60% of family income
            amount = max(float(counted_income(hh)) * 0.65 + 1000, 20000) // 100 * 100
            add(dict(kind="medical", amount=money(amount), note="住院治疗自付"))
        if "disaster" in features:
            add(
                dict(
                    kind="disaster", amount=money(rng.randint(50, 400) * 100), note="暴雨致房屋受损"
                )
            )
            hh["notes"].append("今年因暴雨房屋受损")
        elif rng.random() < 0.06:
            add(
                dict(kind="medical", amount=money(rng.randint(10, 60) * 100), note="门诊慢性病自付")
            )

    def household_fields(self, hh: dict, features: set, tuopin=None) -> None:
        rng, head = self.rng, hh["members"][0]
        hh.update(head_name=head["name"], hukou_type="rural" if rng.random() < 0.97 else "urban")
        source = next((src for f, src in REFERRALS if f in features), "")
        hh["referral_source"] = source or weighted(rng, (("cadre_survey", 60), ("self_application", 25),
                                                         ("department_data", 15)))  # fmt: skip
        hh["petition_count"] = (
            rng.randint(2, 5) if "petition" in features else int(rng.random() < 0.03)
        )
        if features & {"monitoring", "monitoring_cleared"}:
            kinds = (("unstable", 40), ("marginal_poor", 35), ("sudden", 25))
            hh["monitoring_type"] = weighted(rng, kinds)
            if "monitoring_cleared" in features:
                hh.update(
                    risk_cleared=True,
                    risk_cleared_date=self.day(date(2021, 6, 1), date(2022, 9, 30)),
                )
        if tuopin or "tuopin" in features:
            if tuopin is None:  # 脱贫 net income around the 10,000 screen
                net = rng.triangular(7000, 16000, 10500)
                tuopin = (round(net, -1), round(net * rng.uniform(0.9, 1.15), -1))
            hh.update(is_tuopin=True, tuopin_net_income_2021=money(tuopin[0]))
            hh["tuopin_net_income_2022_estimate"] = money(tuopin[1])
        hh.update(
            disaster_loss="disaster" in features,
            high_fee_schooling="high_fee_schooling" in features,
        )
        hh["hardship_note"] = "；".join(hh.pop("notes"))
        worker = next((p for p in hh["members"] if p.get("unemployed_due_to_covid")), head)
        facts = dict(
            head=head["name"], worker=worker["name"], months=worker.get("months_without_income", 0)
        )
        for feature, group, evidence in RECORDED:
            if feature in features:
                hh["group_records"].append(dict(group=group, evidence=evidence.format(**facts)))

    # --- households built to an exact per-capita income ------------------------------------------
    def exact_household(self, kind: str) -> dict:
        """A household whose counted per-capita income is exactly 6,972.00 or 10,458.00."""
        hh = dict(incomes=[], assets=[], expenses=[], applications=[], group_records=[], notes=[])
        features = getattr(self, f"_exact_{kind}")(hh)
        self.assets(hh, features)
        self.household_fields(hh, features)
        return hh

    def _couple(self, ages: tuple[int, int], gap_days: int) -> tuple[dict, dict, str]:
        surname = self.rng.choice(SURNAMES)
        head = self.person("head", "M", self.born_aged(*ages), surname)
        wife = self.person(
            "spouse", "F", head["birth_date"] + timedelta(days=gap_days), self.rng.choice(SURNAMES)
        )
        return head, wife, surname

    def _exact_6972_wage(self, hh) -> set:
        """2 people: the husband's 19,920 wage less 30% = 13,944; the wife's subsidy not counted."""
        head, wife, _ = self._couple((38, 46), 700)
        head.update(employed=True, works_away=True)
        wife.update(disability_kind="physical", disability_grade=2, work_capacity="none")
        hh["members"] = [head, wife]
        hh["notes"].append(f"{wife['name']}肢体残疾2级，丈夫在外务工")
        self.income(hh, 0, "wage", 19920, "在浙江务工", source="data_match")
        self.income(hh, 1, "disability_subsidy", 1560, "残疾人两项补贴")
        return {"single_earner"}

    def _exact_6972_operating(self, hh) -> set:
        """5 people, a son in prison: (24,000 farming + 3,888 rent) / 4; pension and grant not counted."""
        head, wife, surname = self._couple((47, 50), 500)
        mother = self.person(
            "parent", "F", head["birth_date"] - timedelta(days=9500), self.rng.choice(SURNAMES)
        )
        couple = [head["birth_date"], wife["birth_date"]]
        son = self.person("child", "M", self.born_after(couple, min_age=23, max_age=26), surname)
        daughter = self.person(
            "child", "F", self.born_after(couple, min_age=19, max_age=20), surname
        )
        son.update(exclusion="prison", exclusion_note=EXCLUSIONS["prison"])
        daughter.update(student_level="college")
        mother.update(work_capacity="partial")
        hh["members"] = [head, wife, mother, son, daughter]
        hh["notes"].append(f"儿子{son['name']}服刑，女儿{daughter['name']}读大学")
        self.income(hh, None, "operating", 24000, "种植黄连、辣椒")
        self.income(hh, 0, "property", 3888, "土地流转租金")
        self.income(hh, 2, "basic_pension", 1800, "城乡居民基础养老金", source="data_match")
        self.income(hh, 4, "scholarship", 3000, "国家助学金")
        hh["expenses"].append(dict(kind="education", amount=money(12000), note="大学学费住宿费"))
        return {"excluded_member"}

    def _exact_10458_mixed(self, hh) -> set:
        """3 people: (17,374 farming + the wife's 20,000 wage less 30%) / 3."""
        head, wife, surname = self._couple((49, 52), 900)
        father = self.person("parent", "M", head["birth_date"] - timedelta(days=8800), surname)
        wife.update(employed=True)
        father.update(work_capacity="partial")
        hh["members"] = [head, wife, father]
        self.income(hh, None, "operating", 17374, "养殖生猪、种植玉米")
        self.income(hh, 1, "wage", 20000, "县城超市务工")
        self.income(hh, 2, "basic_pension", 1500, "城乡居民基础养老金", source="data_match")
        return set()

    def _exact_10458_pension(self, hh) -> set:
        """1 person: a monthly pension of 871.50 = 10,458.00 a year; the basic pension not counted."""
        head = self.person("head", "F", self.born_aged(66, 69), self.rng.choice(SURNAMES))
        head.update(work_capacity="partial", lives_alone=True)
        hh["members"] = [head]
        self.income(hh, 0, "pension", "871.50", "企业退休金（按月）", period=1, source="data_match")
        self.income(hh, 0, "basic_pension", 1800, "城乡居民基础养老金", source="data_match")
        return set()


EXACT_KINDS = ("6972_wage", "6972_operating", "10458_mixed", "10458_pension")
SCHOOL = ((3, 5, "preschool"), (6, 11, "primary"), (12, 14, "junior"), (15, 17, "senior"),
          (18, 22, "college"))  # fmt: skip
WAGES = {"away": (28000, 60000), "local": (14000, 32000)}
WAGE_NOTES = {"away": "在外务工", "local": "本地务工"}
FARMING = ("种植黄连、辣椒", "养殖生猪", "种植玉米、土豆", "种植莼菜", "养蜂")
EXITS = (("dibao_exit", date(2021, 1, 5), date(2021, 12, 31)),
         ("dibao_exit_2022", date(2022, 1, 1), date(2022, 10, 20)),
         ("dibao_exit_old", date(2018, 3, 1), date(2020, 12, 20)))  # fmt: skip
APPLICATIONS = (("refused", date(2021, 2, 1), date(2022, 9, 30), "refused"),
                ("refused_old", date(2019, 3, 1), date(2020, 11, 30), "refused"),
                ("pending", date(2022, 10, 8), date(2022, 11, 8), "pending"))  # fmt: skip


def _counted_members(hh: dict) -> set[int]:
    return {
        i
        for i, p in enumerate(hh["members"])
        if not p.get("exclusion") and not p.get("single_person")
    }


def counted_income(hh: dict) -> Decimal:
    """Annual counted income: counted members, no excluded kinds, wages less the employment cost."""
    counted, total, wages = _counted_members(hh), Decimal(0), Decimal(0)
    for income in hh["incomes"]:
        if income["kind"] in EXCLUDED_KINDS or income["member"] not in counted | {None}:
            continue
        annual = income["amount"] * 12 / income["period_months"]
        total += annual
        wages += annual if income["kind"] == "wage" else 0
    return total - wages * EMPLOYMENT_COST_RATE


def per_capita_income(hh: dict) -> Decimal:
    counted = len(_counted_members(hh))
    return (counted_income(hh) / counted).quantize(Decimal("0.01")) if counted else Decimal(0)


# --- rows ---------------------------------------------------------------------------------------------
HOUSEHOLD_FIELDS = (
    "village_id group_id code head_name address hukou_type referral_source petition_count "
    "monitoring_type risk_cleared risk_cleared_date is_tuopin tuopin_net_income_2021 "
    "tuopin_net_income_2022_estimate disaster_loss high_fee_schooling hardship_note "
    "created_at updated_at"
).split()
MEMBER_FIELDS = (
    "name id_number sex birth_date relation exclusion exclusion_note chongqing_hukou "
    "disability_kind disability_grade serious_illness student_level work_capacity employed "
    "works_away stable_employment_no_proof unemployed_due_to_covid months_without_income "
    "lives_alone has_able_supporter supporters_work_away"
).split()
TABLES = (
    "household member assistancerecord income asset expense application prioritygrouprecord"
).split()  # in foreign-key order
CHILDREN = (
    ("expenses", "expense"),
    ("applications", "application"),
    ("group_records", "prioritygrouprecord"),
)


def flatten(households, next_pk: dict[str, int]) -> dict[str, list[dict]]:
    """Rows per table keyed by column attname; pks count on from `next_pk` (updated in place)."""
    rows = {table: [] for table in TABLES}

    def add(table: str, row: dict) -> int:
        row["id"] = next_pk[table]
        next_pk[table] += 1
        rows[table].append(row)
        return row["id"]

    for hh in households:
        current = [
            s["kind"] for m in hh["members"] for s in m["assistance"] if not s.get("end_date")
        ]
        row = {k: hh[k] for k in HOUSEHOLD_FIELDS if k in hh}
        hid = add("household", row | {"assistance_now": assistance_text(current)})
        member_ids = []
        for m in hh["members"]:
            member_ids.append(
                add("member", {k: m[k] for k in MEMBER_FIELDS if k in m} | {"household_id": hid})
            )
            for spell in m["assistance"]:
                add("assistancerecord", spell | {"member_id": member_ids[-1]})
        for key, table in (("incomes", "income"), ("assets", "asset")):
            for item in hh[key]:
                member = None if item["member"] is None else member_ids[item["member"]]
                add(
                    table,
                    {k: v for k, v in item.items() if k != "member"}
                    | {"household_id": hid, "member_id": member},
                )
        for key, table in CHILDREN:
            for item in hh[key]:
                add(table, item | {"household_id": hid})
    return rows


def place(hh: dict, *, village_id, group_id, code: str, address: str, index: int) -> dict:
    """Put a household in a village group with its code, address and registration time."""
    stamp = CREATED_AT + timedelta(minutes=7 * (index % 20000))
    hh.update(village_id=village_id, group_id=group_id, code=code, address=address)
    hh.update(created_at=stamp, updated_at=stamp)
    return hh
