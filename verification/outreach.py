"""Who 摸排 is about (应摸排), who is done (已摸排) and who is 回头看: the one definition.

洗府发〔2022〕156号 三(一)(二): the 十二类重点人群, the 回头看 households and the new candidates
are surveyed before the outreach deadline. A household is 应摸排 when any of these holds:
- a priority group recorded by the village, or computed by its current screening result;
- 回头看: left 低保 or had an application refused since the campaign's lookback date
  (households.register), its current screening result says so, or its case came from 回头看;
- its case opened as a new candidate.
已摸排 = 应摸排 and the survey marked complete (households.models.surveyed_condition).

The deadline checks and 通报 (verification.services.deadlines) and the progress dashboard
(xixin_dibao.dashboard) both count with `conditions` on a queryset carrying `aliases`, so their
应摸排, 已摸排 and 回头看 figures cannot drift apart.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, FilteredRelation, OuterRef, Q

from households import register
from households.models import Household, PriorityGroupRecord, surveyed_condition

from .models import Case
from .services import screening_link


def aliases(campaign, today: date) -> dict:
    """What `conditions` reads, for a Household queryset's .alias(): `vc` the household's case
    in the campaign and `sr` its current screening result (at most one of each, so joining
    them keeps one row per household), and Exists() for recorded groups and the register's
    回头看 (households.register.lookback_conditions)."""
    found = {
        "has_group_record": Exists(PriorityGroupRecord.objects.filter(household=OuterRef("pk"))),
        **register.lookback_conditions(campaign, today),
        "vc": FilteredRelation(
            "verification_cases", condition=Q(verification_cases__campaign=campaign)
        ),
    }
    if screening_link.result_model() is not None:
        found["sr"] = FilteredRelation(
            "screening_results",
            condition=Q(screening_results__campaign=campaign, screening_results__is_current=True),
        )
    return found


def conditions(with_results: bool) -> dict[str, Q]:
    """groups, lookback, due (应摸排), done (已摸排), pending (未摸排) on a queryset carrying
    `aliases` (`with_results`: the screening results' alias `sr` is there)."""
    groups = Q(has_group_record=True)
    lookback = Q(lookback_exit=True) | Q(lookback_refused=True) | Q(vc__source=Case.Source.LOOKBACK)
    if with_results:
        groups |= Q(sr__group_codes__contains=",")
        lookback |= Q(sr__lookback=True)
    due = groups | lookback | Q(vc__source=Case.Source.NEW_CANDIDATE)
    return {
        "groups": groups,
        "lookback": lookback,
        "due": due,
        "done": due & surveyed_condition(),
        "pending": due & ~surveyed_condition(),
    }


def households(campaign, today: date):
    """The campaign township's households (not withdrawn) with the aliases, and the conditions."""
    found = aliases(campaign, today)
    qs = Household.objects.filter(village__township_id=campaign.township_id).alias(**found)
    return qs, conditions("sr" in found)
