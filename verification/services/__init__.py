"""Verification services: every state change of a case goes through one of these functions."""

from .auto_exit import confirm_auto_exit, reverse_auto_exit
from .cases import ensure_cases, scope_source, transition
from .common import CaseError, ConflictError
from .datamatch import ImportRejected, case_mismatches, import_data_match, record_data_match
from .deadlines import (
    enforce_deadlines,
    render_bulletin_draft_docx,
    unscreened_households,
    village_figures,
)
from .documents import (
    household_documents,
    render_data_match,
    render_decision_notice,
    render_decision_notice_docx,
    render_minutes,
    render_public_notice,
)
from .guards import (
    allowed_targets,
    case_actions,
    current_decision,
    exit_blocked,
    members_without_match,
    verification_gaps,
)
from .notices import create_public_notice, notice_status, record_objection, report_notice
from .refusals import (
    notice_number,
    record_delivery,
    record_exception,
    record_receipt,
    record_refusal,
    render_refusal_notice,
    render_refusal_notice_docx,
)
from .relatives import declare_relative, recusal_members, register_relatives
from .review import RecusalError, build_agenda, create_meeting, decide_case, income_basis
from .visits import record_home_visit, split_names

__all__ = [
    "CaseError",
    "ConflictError",
    "ImportRejected",
    "RecusalError",
    "allowed_targets",
    "build_agenda",
    "case_actions",
    "case_mismatches",
    "confirm_auto_exit",
    "create_meeting",
    "create_public_notice",
    "current_decision",
    "decide_case",
    "declare_relative",
    "enforce_deadlines",
    "ensure_cases",
    "exit_blocked",
    "household_documents",
    "import_data_match",
    "income_basis",
    "members_without_match",
    "notice_number",
    "notice_status",
    "record_data_match",
    "record_delivery",
    "record_exception",
    "record_home_visit",
    "record_objection",
    "record_receipt",
    "record_refusal",
    "reverse_auto_exit",
    "recusal_members",
    "register_relatives",
    "render_bulletin_draft_docx",
    "render_data_match",
    "render_decision_notice",
    "render_decision_notice_docx",
    "render_minutes",
    "render_public_notice",
    "render_refusal_notice",
    "render_refusal_notice_docx",
    "scope_source",
    "report_notice",
    "split_names",
    "transition",
    "unscreened_households",
    "verification_gaps",
    "village_figures",
]
