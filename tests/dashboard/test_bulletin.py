"""The rule that names a village as lagging (pure functions over snapshot data)."""

from datetime import date

from xixin_dibao import bulletin
from xixin_dibao.dashboard import figure_keys


def data(*villages, outreach="2022-11-02", cutoff="2022-11-21"):
    rows = []
    total = dict.fromkeys(figure_keys(), 0)
    for i, figures in enumerate(villages, 1):
        f = dict.fromkeys(figure_keys(), 0) | figures
        f["outreach_pending"] = f["outreach_due"] - f["outreach_done"]
        f["verification_open"] = f["cases"] - f["verification_done"]
        f["net_households"] = f["now_households"] - f["baseline_households"]
        f["net_persons"] = f["now_persons"] - f["baseline_persons"]
        rows.append({"id": i, "name": f"{i}村", "code": str(i), "f": f})
        for k, v in f.items():
            total[k] += v
    campaign = {
        "outreach_deadline": outreach,
        "verification_cutoff": cutoff,
        "township": "洗新乡",
        "year": 2022,
        "name": "x",
        "id": 1,
    }
    return {"villages": rows, "total": total, "campaign": campaign}


def names(found):
    return [lag.village for lag in found]


def test_before_the_deadline_only_villages_below_the_township_rate_lag():
    d = data(
        {"outreach_due": 10, "outreach_done": 9},  # 90%
        {"outreach_due": 10, "outreach_done": 5},  # 50%; township 70%
        {"outreach_due": 10, "outreach_done": 7},  # 70%: equal to the township, not lagging
    )
    lags = bulletin.lagging(d, date(2022, 10, 30))
    assert names(lags["outreach"]) == ["2村"]
    assert lags["outreach"][0].detail == "应摸排10户，已摸排5户，完成率50.0%，尚有5户未摸排"


def test_after_the_deadline_every_unfinished_village_lags():
    d = data({"outreach_due": 10, "outreach_done": 9}, {"outreach_due": 10, "outreach_done": 5})
    assert names(bulletin.lagging(d, date(2022, 11, 3))["outreach"]) == ["1村", "2村"]
    assert names(bulletin.lagging(d, date(2022, 11, 2))["outreach"]) == ["2村"]  # the day itself


def test_verification_lags_against_the_cutoff():
    d = data({"cases": 4, "verification_done": 4}, {"cases": 4, "verification_done": 3})
    assert names(bulletin.lagging(d, date(2022, 11, 10))["verification"]) == ["2村"]
    d = data({"cases": 4, "verification_done": 3}, {"cases": 4, "verification_done": 1})
    assert names(bulletin.lagging(d, date(2022, 11, 22))["verification"]) == ["1村", "2村"]


def test_coverage_below_the_baseline_lags_whatever_the_date():
    d = data(
        {
            "baseline_households": 10,
            "baseline_persons": 20,
            "now_households": 10,
            "now_persons": 21,
        },
        {
            "baseline_households": 10,
            "baseline_persons": 20,
            "now_households": 11,
            "now_persons": 19,
        },
        {"baseline_households": 0, "baseline_persons": 0},
    )
    found = bulletin.lagging(d, date(2022, 10, 26))["coverage"]
    assert names(found) == ["2村"]
    assert found[0].detail == (
        "2021年底低保10户20人，现有11户19人，较2021年底户数增加1户、人数减少1人"
    )


def test_no_lagging_village_is_said_plainly():
    d = data({"outreach_due": 2, "outreach_done": 2, "cases": 1, "verification_done": 1})
    context = bulletin.bulletin_context(d, date(2022, 11, 25))
    assert not context["any_lag"]
    assert context["title"] == "关于洗新乡低保扩面扩围工作进展情况的通报"
    assert context["date_text"] == "2022年11月25日"
    assert context["rows"][-1]["name"] == "全乡合计"


def test_change_text():
    assert bulletin.change_text(0, 0) == "持平"
    assert bulletin.change_text(2, 5) == "增加2户5人"
    assert bulletin.change_text(-1, -3) == "减少1户3人"
    assert bulletin.change_text(0, -1) == "户数持平、人数减少1人"


def test_rules_quote_the_campaign_deadlines():
    text = "".join(bulletin.rules_text(data()["campaign"]))
    assert "11月2日" in text and "11月21日" in text and "全乡平均" in text
