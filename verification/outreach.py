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

from django.db.models import Exists, OuterRef, Q

from households import register
from households.models import Household, PriorityGroupRecord, surveyed_condition

from .models import Case
from .services import screening_link


def aliases(campaign, today: date) -> dict[str, Exists]:
    """The Exists() expressions `conditions` reads, for a Household queryset's .alias()."""
    cases = Case.objects.filter(campaign=campaign, household=OuterRef("pk"))
    found = {
        "o_group_record": Exists(PriorityGroupRecord.objects.filter(household=OuterRef("pk"))),
        "o_case_lookback": Exists(cases.filter(source=Case.Source.LOOKBACK)),
        "o_case_candidate": Exists(cases.filter(source=Case.Source.NEW_CANDIDATE)),
        **register.lookback_conditions(campaign, today),
    }
    results = screening_link.result_model()
    if results is not None:
        current = results.objects.filter(
            campaign=campaign, is_current=True, household=OuterRef("pk")
        )
        found["o_group_computed"] = Exists(current.filter(group_codes__contains=","))
        found["o_result_lookback"] = Exists(current.filter(lookback=True))
    return found


def conditions(with_results: bool) -> dict[str, Q]:
    """groups, lookback, due (应摸排), done (已摸排), pending (未摸排) on a queryset carrying
    `aliases` (`with_results`: the screening results' aliases are there)."""
    groups = Q(o_group_record=True)
    lookback = Q(lookback_exit=True) | Q(lookback_refused=True) | Q(o_case_lookback=True)
    if with_results:
        groups |= Q(o_group_computed=True)
        lookback |= Q(o_result_lookback=True)
    due = groups | lookback | Q(o_case_candidate=True)
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
    return qs, conditions("o_group_computed" in found)
