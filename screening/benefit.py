"""The monthly benefit by the gap method: one function, one rounding rule (pure, no Django).

《最低生活保障审核确认办法》第二十三条: 按照共同生活家庭成员人均收入低于当地低保标准的差额
… 确定保障金. The campaign chooses the unit the amount is rounded to (元, 角 or 分), half up.
The screening verdict, the set-based SQL, the review decision and everything printed from them
use this one rule, so a household shows the same amount everywhere.
"""

from decimal import ROUND_HALF_UP, Decimal

MONTHS_PER_YEAR = 12
ROUNDING_PLACES = {"yuan": 0, "jiao": 1, "fen": 2}
ROUNDING_LABELS = {"yuan": "元", "jiao": "角", "fen": "分"}


def rounding_places(rounding: str) -> int:
    """Decimal places of a rounding unit ('yuan' → 0, 'jiao' → 1, 'fen' → 2)."""
    try:
        return ROUNDING_PLACES[rounding]
    except KeyError:
        raise ValueError(f"保障金取整单位只能是元、角或分，不能是“{rounding}”") from None


def monthly_benefit(
    *, standard_annual: Decimal, income_annual: Decimal, members: int, rounding: str
) -> Decimal:
    """(annual standard − annual per-capita income) × members ÷ 12, rounded half up to the unit.

    Dividing last keeps a half unit exact; a negative income counts as zero.
    """
    gap = (Decimal(standard_annual) - max(Decimal(income_annual), Decimal("0"))) * members
    unit = Decimal(1).scaleb(-rounding_places(rounding))
    return (gap / MONTHS_PER_YEAR).quantize(unit, ROUND_HALF_UP)
