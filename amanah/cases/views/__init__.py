"""Case pages, split by topic: ``intake`` (intake and the receipt), ``case_page`` (the detail
with its role-based actions), ``worklists`` (the SLA queue, saved filters, bulk assign, the
actor's own cases, find by number, the CSV export), ``configuration`` (categories, SLA
policies, resolution codes) and ``ojk_report`` (the OJK report and its CSVs). The routing
rules' pages are ``views_routing``. ``cases.urls`` names each view as ``views.<name>``."""

from amanah.cases.views.case_page import (
    add_note,
    assign,
    cancel_duplicate,
    category_decide,
    change_status,
    close,
    detail,
    escalate,
    extend,
    final_response,
    reopen,
    reveal_customer_name,
    root_cause,
)
from amanah.cases.views.configuration import sla_settings
from amanah.cases.views.intake import create, intake_create, intake_find, receipt, receipt_pdf
from amanah.cases.views.ojk_report import ojk_register_csv, ojk_report, ojk_report_csv
from amanah.cases.views.worklists import (
    export,
    find,
    mine,
    queue,
    queue_assign,
    saved_filter_delete,
    saved_filter_save,
)

__all__ = [
    "add_note",
    "assign",
    "cancel_duplicate",
    "category_decide",
    "change_status",
    "close",
    "create",
    "detail",
    "escalate",
    "export",
    "extend",
    "final_response",
    "find",
    "intake_create",
    "intake_find",
    "mine",
    "ojk_register_csv",
    "ojk_report",
    "ojk_report_csv",
    "queue",
    "queue_assign",
    "receipt",
    "receipt_pdf",
    "reopen",
    "reveal_customer_name",
    "root_cause",
    "saved_filter_delete",
    "saved_filter_save",
    "sla_settings",
]
