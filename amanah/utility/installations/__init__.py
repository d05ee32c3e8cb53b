"""New connections (pasang baru / Instalasi) on the workflow engine (DESIGN §2, issue 17).

    APPLIED → SURVEYED → RAB_SUBMITTED → RAB_APPROVED → PAID → INSTALLED → ACTIVE
    permohonan  survei     RAB diajukan    disetujui      dibayar  terpasang  meter aktif

Every step is a transition of the workflow ``utility.installation`` (declared in
``contract.py``: who may take it, its guard, its compensating revert) and is taken through
``installation_move`` / ``installation_revert`` here — they lock the installation through the
actor's scope and call the engine, which checks permission and guard, saves, writes the
history line and the audit row and emits ``utility.installation.transitioned``. What a step
implies (the survey's technician and coordinates, the RAB's author, the approver, the meter
activation of the connection, the SLA of the next step on the branch's working calendar) is
set by ``on_apply`` in the same transaction. The customer hears of each step through the
messaging hub (``installation_notify``, a handler of that event; contactability is the
outbox's own check).

The RAB (``rab_lines_set``) is priced while SURVEYED and submitted; approved by someone else
than its author (four eyes). Once approved, customer service sets the payment plan
(``rab_schedule_set``: full, or installments summing exactly to the RAB total — arithmetic in
``installments.py``), which bills the RAB (journal ``utility.rab_bill``: D piutang sambungan /
K pendapatan sambungan baru). Payments (``rab_payment_apply``) go to the oldest installment
first, its denda before its principal, what is left over kept as the connection's credit
(the same receipts and reference idempotency as water bills, ``accounts.py``; journal
``utility.rab_payment``). ``late_fees_assess`` (a daily job) charges the denda of overdue
installments by the rule in settings (journal ``utility.late_fee``: D piutang denda /
K pendapatan denda), once per installment and month late.

An approved RAB is also a document: ``installation_move`` emits ``utility.rab_approved`` in the
approval's transaction and its handler issues the RAB's signed PDF as a RAB document of the
installation (``rab_document.py``, through ``documents.contract.document_generate``).
"""

from amanah.utility.installations.common import (
    INSTALLATION_PAYABLE,
    LATE_FEE_RULE,
    RAB_APPROVED,
    RAB_BILL_RULE,
    RAB_PAYMENT_RULE,
    WORKFLOW_KEY,
    S,
)
from amanah.utility.installations.notices import installation_notify
from amanah.utility.installations.payments import (
    LATE_FEE,
    RAB_PAYMENT,
    late_fee_rule,
    late_fees_assess,
    payment_settled,
    rab_payment_apply,
    rab_payment_request,
)
from amanah.utility.installations.rab import (
    RAB_BILL,
    RabLineInput,
    rab_lines_set,
    rab_schedule_set,
)
from amanah.utility.installations.reminders import installation_reminders
from amanah.utility.installations.workflow import (
    has_rab,
    installation_apply,
    installation_move,
    installation_revert,
    no_plan,
    not_rab_author,
    on_apply,
    payment_received,
)

__all__ = [
    "INSTALLATION_PAYABLE",
    "LATE_FEE",
    "LATE_FEE_RULE",
    "RAB_APPROVED",
    "RAB_BILL",
    "RAB_BILL_RULE",
    "RAB_PAYMENT",
    "RAB_PAYMENT_RULE",
    "WORKFLOW_KEY",
    "RabLineInput",
    "S",
    "has_rab",
    "installation_apply",
    "installation_move",
    "installation_notify",
    "installation_reminders",
    "installation_revert",
    "late_fee_rule",
    "late_fees_assess",
    "no_plan",
    "not_rab_author",
    "on_apply",
    "payment_received",
    "payment_settled",
    "rab_lines_set",
    "rab_payment_apply",
    "rab_payment_request",
    "rab_schedule_set",
]
