"""The 通报 of lagging villages (洗府发〔2022〕156号 四(二): 对…成效不明显的村进行通报).

A village is lagging on a task when, by the campaign's own figures:
- 摸排: it still has households to screen and either the 11月2日 deadline has passed or its
  completion rate is below the township's;
- 核查: it still has cases waiting for the data match / home visit and either the 11月21日
  cutoff has passed or its completion rate is below the township's;
- 覆盖面: its dibao households or persons now are fewer than at the end of 2021 (稳中有升).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .dashboard_tables import ratio

RULES = [
    "摸排滞后：本村仍有未摸排的重点对象，且已过摸排截止日（{outreach}），"
    "或本村摸排完成率低于全乡平均。",
    "核查滞后：本村仍有待核查对象（信息比对、入户调查未完成），且已过核查截止日"
    "（{cutoff}），或本村核查完成率低于全乡平均。",
    "覆盖面下降：本村现有低保户数或人数低于2021年底基数（方案要求“较2021年底稳中有升”）。",
    "全乡平均 = 全乡合计完成数 ÷ 全乡合计应完成数；截止日当天仍按截止前计算。",
]


@dataclass(frozen=True)
class Lag:
    village: str
    village_id: int
    detail: str


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def rules_text(campaign_data: dict) -> list[str]:
    outreach = date.fromisoformat(campaign_data["outreach_deadline"])
    cutoff = date.fromisoformat(campaign_data["verification_cutoff"])
    return [
        r.format(
            outreach=f"{outreach.month}月{outreach.day}日", cutoff=f"{cutoff.month}月{cutoff.day}日"
        )
        for r in RULES
    ]


CATEGORY_LABELS = {"outreach": "摸排", "verification": "核查", "coverage": "覆盖面"}


def change_text(households: int, persons: int) -> str:
    """增加2户5人 / 减少1户3人 / 户数持平、人数减少1人 / 持平."""
    if households == 0 and persons == 0:
        return "持平"
    if households and persons and (households > 0) == (persons > 0):
        word = "增加" if households > 0 else "减少"
        return f"{word}{abs(households)}户{abs(persons)}人"

    def part(n: int, unit: str) -> str:
        return f"增加{n}{unit}" if n > 0 else f"减少{-n}{unit}" if n < 0 else "持平"

    return f"户数{part(households, '户')}、人数{part(persons, '人')}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def lagging(data: dict, today: date) -> dict[str, list[Lag]]:
    """Lagging villages per task ("outreach", "verification", "coverage"), with their figures."""
    outreach_deadline = date.fromisoformat(data["campaign"]["outreach_deadline"])
    cutoff = date.fromisoformat(data["campaign"]["verification_cutoff"])
    t = data["total"]
    township_outreach = ratio(t["outreach_done"], t["outreach_due"])
    township_verified = ratio(t["verification_done"], t["cases"])
    found: dict[str, list[Lag]] = {"outreach": [], "verification": [], "coverage": []}
    for v in data["villages"]:
        f, name, vid = v["f"], v["name"], v["id"]
        rate = ratio(f["outreach_done"], f["outreach_due"])
        if f["outreach_pending"] and (today > outreach_deadline or rate < township_outreach):
            found["outreach"].append(
                Lag(
                    name,
                    vid,
                    f"应摸排{f['outreach_due']}户，已摸排{f['outreach_done']}户，"
                    f"完成率{_pct(rate)}，尚有{f['outreach_pending']}户未摸排",
                )
            )
        rate = ratio(f["verification_done"], f["cases"])
        if f["verification_open"] and (today > cutoff or rate < township_verified):
            found["verification"].append(
                Lag(
                    name,
                    vid,
                    f"核查对象{f['cases']}户，完成核查{f['verification_done']}户，"
                    f"完成率{_pct(rate)}，尚有{f['verification_open']}户待核查",
                )
            )
        if (
            f["now_households"] < f["baseline_households"]
            or f["now_persons"] < f["baseline_persons"]
        ):
            found["coverage"].append(
                Lag(
                    name,
                    vid,
                    f"2021年底低保{f['baseline_households']}户{f['baseline_persons']}人，"
                    f"现有{f['now_households']}户{f['now_persons']}人，较2021年底"
                    + change_text(f["net_households"], f["net_persons"]),
                )
            )
    return found


def bulletin_context(data: dict, today: date) -> dict:
    """Everything the 通报 page and PDF show: title, date, paragraphs' figures, table rows."""
    t = data["total"]
    township = data["campaign"]["township"]
    lags = lagging(data, today)
    lagging_ids = {category: {lag.village_id for lag in found} for category, found in lags.items()}
    rows = []
    for v in data["villages"] + [{"name": "全乡合计", "f": t, "id": None}]:
        f = v["f"]
        categories = [CATEGORY_LABELS[c] for c in CATEGORY_LABELS if v["id"] in lagging_ids[c]]
        rows.append(
            {
                "name": v["name"],
                "total": v["id"] is None,
                "f": f,
                "outreach_rate": _pct(ratio(f["outreach_done"], f["outreach_due"])),
                "verification_rate": _pct(ratio(f["verification_done"], f["cases"])),
                "net_persons": f["now_persons"] - f["baseline_persons"],
                "lagging": "、".join(categories),
            }
        )
    return {
        "title": f"关于{township}低保扩面扩围工作进展情况的通报",
        "township": township,
        "date_text": cn_date(today),
        "today": today,
        "total": t,
        "outreach_rate": _pct(ratio(t["outreach_done"], t["outreach_due"])),
        "verification_rate": _pct(ratio(t["verification_done"], t["cases"])),
        "review_rate": _pct(ratio(t["reviewed"], t["cases"])),
        "change_text": change_text(
            t["now_households"] - t["baseline_households"], t["now_persons"] - t["baseline_persons"]
        ),
        "lags": lags,
        "any_lag": any(lags.values()),
        "rows": rows,
        "rules": rules_text(data["campaign"]),
        "outreach_passed": today > date.fromisoformat(data["campaign"]["outreach_deadline"]),
        "cutoff_passed": today > date.fromisoformat(data["campaign"]["verification_cutoff"]),
        "outreach_deadline": cn_date(date.fromisoformat(data["campaign"]["outreach_deadline"])),
        "verification_cutoff": cn_date(date.fromisoformat(data["campaign"]["verification_cutoff"])),
    }
