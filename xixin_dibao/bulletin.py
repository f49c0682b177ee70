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
from .paper import Annex, Block, Cell, Paper, Row

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


def bulletin_context(data: dict, today: date, document_number: str = "") -> dict:
    """Everything the 通报 page, PDF and .docx show: title, date, figures, table rows, the paper."""
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
    context = {
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
        "document_number": document_number,
    }
    return context | {"paper": bulletin_paper(context)}


LAG_HEADINGS = {
    "outreach": "摸排进度滞后",
    "verification": "核查进度滞后",
    "coverage": "低保覆盖面低于2021年底",
}
ORDINALS = "一二三"
ANNEX_HEADER = (
    "村", "应摸排", "已摸排", "摸排完成率", "核查对象", "完成核查", "核查完成率",
    "2021年底低保", "现有低保", "人数增减", "滞后事项",
)  # fmt: skip


def _problems(c: dict) -> list[Block]:
    present = [key for key in LAG_HEADINGS if c["lags"][key]]
    if not present:
        return [
            Block("截至目前，各村均按时间节点推进，未发现进度滞后或低保覆盖面低于2021年底的村。")
        ]
    return [
        Block(
            f"（{ORDINALS[i]}）{LAG_HEADINGS[key]}。"
            + "；".join(f"{lag.village}（{lag.detail}）" for lag in c["lags"][key])
            + "。"
        )
        for i, key in enumerate(present)
    ]


def _requirements(c: dict) -> str:
    text = "以上被通报的村要认真查找原因，落实具体人员，限期整改。" if c["any_lag"] else ""
    text += "各村要对照方案时间节点压茬推进："
    if c["outreach_passed"]:
        text += f"摸排截止日（{c['outreach_deadline']}）已过，尚未摸排的重点对象要立即完成摸排；"
    else:
        text += f"{c['outreach_deadline']}前完成重点对象摸排；"
    if c["cutoff_passed"]:
        text += (
            f"核查截止日（{c['verification_cutoff']}）已过，本次不再受理在册低保人员、"
            "新纳入低保对象以及低保边缘家庭的核查工作"
        )
    else:
        text += (
            f"{c['verification_cutoff']}前完成在册低保人员、新纳入城乡低保人员以及低保边缘家庭的"
            "核查、走访工作，逾期不再受理"
        )
    return text + (
        "。要坚持应保尽保、应退尽退，确保低保救助保障对象较2021年底稳中有升。对工作部署走过场、"
        "政策落实不到位、成效不明显的村将继续通报，对在工作中不担当、不作为造成不良影响的村及个人"
        "予以严肃问责。"
    )


def _annex_row(r: dict) -> Row:
    f = r["f"]
    below = (
        f["now_persons"] < f["baseline_persons"] or f["now_households"] < f["baseline_households"]
    )
    return Row(
        (
            Cell(r["name"]),
            *(Cell(str(f[key]), "num") for key in ("outreach_due", "outreach_done")),
            Cell(r["outreach_rate"], "num"),
            *(Cell(str(f[key]), "num") for key in ("cases", "verification_done")),
            Cell(r["verification_rate"], "num"),
            Cell(f"{f['baseline_households']}户{f['baseline_persons']}人", "num"),
            Cell(f"{f['now_households']}户{f['now_persons']}人", "num below" if below else "num"),
            Cell(f"{r['net_persons']:+d}", "num below" if r["net_persons"] < 0 else "num"),
            Cell(r["lagging"] or "—"),
        ),
        total=r["total"],
    )


def bulletin_paper(c: dict) -> Paper:
    """The 通报's wording (洗府发〔2022〕156号 四(二)), for the page, the PDF and the .docx."""
    t, township = c["total"], c["township"]
    document = f"（{c['document_number']}）" if c["document_number"] else ""
    body = [
        Block("各村民委员会：", "flat"),
        Block(
            f"按照《{township}低保扩面扩围实施方案》{document}要求，各村扎实开展城乡低保扩面扩围"
            f"工作。现将截至{c['date_text']}全乡工作进展情况通报如下："
        ),
        Block("一、总体进展", "heading"),
        Block(
            f"全乡应摸排重点对象{t['outreach_due']}户，已摸排{t['outreach_done']}户，摸排完成率"
            f"{c['outreach_rate']}；纳入核查对象{t['cases']}户，已完成核查{t['verification_done']}户，"
            f"核查完成率{c['verification_rate']}；已集体研究审核{t['reviewed']}户，已公示或报县"
            f"{t['noticed']}户。审核决定纳入低保{t['decision_include_dibao']}户"
            f"{t['entries_persons']}人，纳入低保边缘{t['decision_include_marginal']}户，退出"
            f"{t['decision_exit']}户，视为自动退出{t['auto_exit']}户。"
        ),
        Block(
            f"全乡现有低保对象{t['now_households']}户{t['now_persons']}人，2021年底为"
            f"{t['baseline_households']}户{t['baseline_persons']}人，较2021年底{c['change_text']}；"
            f"审核决定全部落实后预计为{t['projected_households']}户{t['projected_persons']}人。"
        ),
        Block("二、存在的问题", "heading"),
        *_problems(c),
        Block("三、下步要求", "heading"),
    ]
    rules = "（依据方案四(二)“对…成效不明显的村进行通报”，按系统中的工作数据自动判定）："
    return Paper(
        title=c["title"],
        body=tuple(body),
        closing=(Block(_requirements(c)), Block("附件：各村工作进展情况统计表", "flat")),
        signature=(f"{township}低保扩面扩围工作领导小组办公室", c["date_text"]),
        annex=Annex(
            title=f"附件：各村工作进展情况统计表（截至{c['date_text']}）",
            header=ANNEX_HEADER,
            rows=tuple(_annex_row(r) for r in c["rows"]),
            notes=(
                Block("“滞后”的判定规则" + rules, "note"),
                *(Block(f"{i}. {rule}", "note") for i, rule in enumerate(c["rules"], 1)),
            ),
        ),
    )
