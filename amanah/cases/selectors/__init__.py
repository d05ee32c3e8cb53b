"""Reads of cases, always scoped by the actor — split by topic: ``case_page`` (one case, its
history, a case by number, a customer's open cases, the resolution codes), ``worklists`` (the
SLA queue and its export, the actor's own cases, saved filters, category choices) and
``intake`` (customers found for a complaint at any office).

Callers keep using ``from amanah.cases import selectors`` and ``selectors.<name>``; a test
that shortens a page patches ``selectors.worklists.PAGE_SIZE``.
"""

from amanah.cases.selectors.case_page import (
    CASE_NO_MAX,
    CASE_PAGE_RELATED_FIELDS,
    HistoryLine,
    case_by_number,
    case_for,
    case_history,
    case_page_for,
    normalise_case_no,
    open_cases_of,
    resolution_codes,
)
from amanah.cases.selectors.intake import IntakeHit, intake_customer, intake_lookup
from amanah.cases.selectors.worklists import (
    EXPORT_MAX_ROWS,
    PAGE_SIZE,
    QUEUE_ROW_FIELDS,
    SAVED_FILTER_MAX,
    MyTab,
    QueueFilter,
    Who,
    category_choices,
    my_cases,
    name_customers,
    queue,
    queue_export,
    queue_page,
    saved_filters,
    team_q,
)

__all__ = [
    "CASE_NO_MAX",
    "CASE_PAGE_RELATED_FIELDS",
    "EXPORT_MAX_ROWS",
    "PAGE_SIZE",
    "QUEUE_ROW_FIELDS",
    "SAVED_FILTER_MAX",
    "HistoryLine",
    "IntakeHit",
    "MyTab",
    "QueueFilter",
    "Who",
    "case_by_number",
    "case_for",
    "case_history",
    "case_page_for",
    "category_choices",
    "intake_customer",
    "intake_lookup",
    "my_cases",
    "name_customers",
    "normalise_case_no",
    "open_cases_of",
    "queue",
    "queue_export",
    "queue_page",
    "resolution_codes",
    "saved_filters",
    "team_q",
]
