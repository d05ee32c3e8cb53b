"""What the water utility (PDAM, issue 17) offers the house.

- ``arrears_ageing(actor, connection_ids=None, as_of=None, min_overdue=1)`` → ``{connection id:
  Ageing}`` (0–30, 31–60, 61–90, > 90 days past due, not yet due, oldest due date), scoped by
  the actor: field ops build work orders (disconnection, reminder visits) from it;
- ``spam_load(spam, adding=0)`` and ``capacity_warnings(area)`` for whoever connects
  customers (installations, the future RAB workflow);
- ``payment_apply(...)`` for a cashier or another payment source;
- events: ``utility.network_saved``, ``utility.tariff_saved``, ``utility.connection_created``,
  ``utility.connection_status_changed`` (hook: the installation workflow moves a connection to
  ACTIVE at meter activation), ``utility.readings_recorded``, ``utility.bills_issued``
  (period, bill_ids — hook: bill notices through the messaging hub, late fees),
  ``utility.payment_applied`` (receipt), ``utility.rab_approved`` (installation — in the
  approval's transaction; its handler here issues the RAB's signed PDF),
  ``utility.incident_opened`` (incident) and the incident workflow's
  ``utility.incident.transitioned``.

Area incidents (``incidents/``): it listens to ``cases.case_classified`` (outage complaints
grouped per area and category), declares the workflow ``utility.incident`` (OPEN → RESOLVED)
and tells the pelanggan of the area through the messaging hub.

It registers: the meter readings import target (``utility.meter_readings``), its posting rules
(``utility.bill``: D piutang air / K pendapatan air; ``utility.payment``: cash, credit and
piutang lines, ``accounts.py``), its payable types with payments (``utility.bill`` — key: the
bill's id; ``utility.connection`` — key: the no. sambungan; either applies oldest bill first)
and reacts to ``payments.payment_settled``; the owner kind ``utility.Installation`` of documents
(the approved RAB's signed PDF, ``installations/rab_document.py``); a 360 card with the
customer's connection and arrears; the menu entries; its service areas' outlines on the field map
(``fieldops.map_areas``: ``selectors.area_outlines``); its water bills in arrears as an
arrears source of field work orders (``fieldops.arrears_sources``: ``utility.bills``,
``arrears.py`` — billing data and the installation's GPS on the work order); segment rule fields
``utility.tariff``, ``utility.arrears_band``, ``utility.consumption_band`` and the dashboard
widgets ``utility.arrears_by_band``, ``utility.customers_by_tariff`` (``segments.py``); the
hourly customer notices (``notices.py``: bill issued, installment due, late fee, arrears).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy, gettext_noop

from amanah.core import events, registry
from amanah.core.contributions import Card, NavItem, SegmentField, Widget
from amanah.documents.contract import register_owner
from amanah.fieldops.contract import ArrearsSource, MapAreas, arrears_sources, map_areas
from amanah.ledger.contract import register_posting_rule
from amanah.payments.contract import PAYMENT_SETTLED, PAYMENTS_SETTLED, register_payable
from amanah.utility import (
    accounts,
    arrears,
    billing,
    installations,
    payments_batch,
    segments,
    selectors,
)
from amanah.utility import imports as reading_imports
from amanah.utility import notices as _notices  # noqa: F401 (its job's declared actor)
from amanah.utility import subject as _subject_section
from amanah.utility.accounts import payment_apply
from amanah.utility.incidents import notices as _incident_notices  # noqa: F401 (its job's declared actor)
from amanah.utility.incidents import services as incidents
from amanah.utility.installations import rab_document
from amanah.utility.models import Installation
from amanah.utility.models import InstallationStatus as S
from amanah.utility.policies import (
    BILLING_RUN,
    CONNECTION_VIEW,
    INCIDENT_MANAGE,
    INCIDENT_VIEW,
    INSTALLATION_APPROVE,
    INSTALLATION_FIELD,
    INSTALLATION_RAB,
    INSTALLATION_REVERT,
    INSTALLATION_VIEW,
    NETWORK_VIEW,
    PAYMENT_APPLY,
    TARIFF_VIEW,
)
from amanah.utility.selectors import Ageing, arrears_ageing, spam_load
from amanah.utility.services import capacity_warnings
from amanah.workflow.contract import (
    TransitionSpec,
    WorkflowSpec,
    declare_workflow,
    register_guard,
)

__all__ = ["Ageing", "arrears_ageing", "capacity_warnings", "payment_apply", "spam_load"]

register_posting_rule(billing.BILL_RULE, billing.RULE)
register_posting_rule(accounts.PAYMENT_RULE, accounts.RULE)
register_payable(accounts.BILL_PAYABLE, gettext_lazy("Rekening air"))
register_payable(accounts.CONNECTION_PAYABLE, gettext_lazy("Rekening air (per sambungan)"))
# Water-bill payments are applied a batch of the callbacks job at a time (set-based,
# ``payments_batch``); a RAB installment still one payment at a time (rare, below).
events.on(PAYMENTS_SETTLED, payments_batch.payments_settled, key="utility.payments_settled")

# --------------------------------------------------------------------------- pasang baru
register_posting_rule(installations.RAB_BILL_RULE, installations.RAB_BILL)
register_posting_rule(installations.RAB_PAYMENT_RULE, installations.RAB_PAYMENT)
register_posting_rule(installations.LATE_FEE_RULE, installations.LATE_FEE)
register_payable(installations.INSTALLATION_PAYABLE, gettext_lazy("RAB sambungan baru"))
events.on(
    PAYMENT_SETTLED, installations.payment_settled, key="utility.installation_payment_settled"
)

RAB_FOUR_EYES = register_guard(
    "utility.installation.four_eyes",
    installations.not_rab_author,
    message=gettext_lazy("RAB tidak boleh disetujui oleh penyusunnya sendiri (empat mata)."),
)
HAS_RAB = register_guard(
    "utility.installation.has_rab",
    installations.has_rab,
    message=gettext_lazy("RAB belum disusun: isi baris RAB dulu."),
)
PAYMENT_RECEIVED = register_guard(
    "utility.installation.paid",
    installations.payment_received,
    message=gettext_lazy(
        "Pembayaran belum cukup: lunas (bayar sekaligus) atau angsuran pertama (angsuran)."
    ),
)
NOT_BILLED = register_guard(
    "utility.installation.not_billed",
    installations.no_plan,
    message=gettext_lazy("RAB sudah ditagihkan (cara bayar ditetapkan); tidak dapat dibatalkan."),
)


def _revert(from_status, to_status, guard=""):
    return TransitionSpec(
        from_status,
        to_status,
        INSTALLATION_REVERT,
        gettext_noop("Batalkan tahap (kembali ke tahap sebelumnya)"),
        guard=guard,
        is_revert=True,
    )


declare_workflow(
    WorkflowSpec(
        key=installations.WORKFLOW_KEY,
        model="utility.Installation",
        status_field="status",
        label=gettext_noop("Sambungan baru (pasang baru)"),
        audit_action="MOVE_INSTALLATION",
        on_apply=installations.on_apply,
        transitions=(
            TransitionSpec(
                S.APPLIED,
                S.SURVEYED,
                INSTALLATION_FIELD,
                gettext_noop("Catat survei lokasi"),
                required=("lat", "lon", "note"),
            ),
            TransitionSpec(
                S.SURVEYED,
                S.RAB_SUBMITTED,
                INSTALLATION_RAB,
                gettext_noop("Ajukan RAB"),
                guard=HAS_RAB,
            ),
            TransitionSpec(
                S.RAB_SUBMITTED,
                S.RAB_APPROVED,
                INSTALLATION_APPROVE,
                gettext_noop("Setujui RAB"),
                guard=RAB_FOUR_EYES,
            ),
            TransitionSpec(
                S.RAB_APPROVED,
                S.PAID,
                PAYMENT_APPLY,
                gettext_noop("Konfirmasi pembayaran RAB"),
                guard=PAYMENT_RECEIVED,
            ),
            TransitionSpec(
                S.PAID, S.INSTALLED, INSTALLATION_FIELD, gettext_noop("Catat pemasangan")
            ),
            TransitionSpec(
                S.INSTALLED,
                S.ACTIVE,
                INSTALLATION_FIELD,
                gettext_noop("Aktifkan meter"),
                required=("meter_number",),
            ),
            _revert(S.SURVEYED, S.APPLIED),
            _revert(S.RAB_SUBMITTED, S.SURVEYED),
            _revert(S.RAB_APPROVED, S.RAB_SUBMITTED, NOT_BILLED),
            _revert(S.PAID, S.RAB_APPROVED),
            _revert(S.INSTALLED, S.PAID),
        ),
    )
)
events.on(
    f"{installations.WORKFLOW_KEY}.transitioned",
    installations.installation_notify,
    key="utility.installation_notice",
)

# Documents of a new connection (the approved RAB's signed PDF, later SPK and KTP copies): their
# scope follows the installation's (its branch, ``utility.installation.view``).
register_owner(
    rab_document.OWNER_KIND,
    label=gettext_lazy("Sambungan baru"),
    url=lambda installation: reverse("utility:installation", args=[installation.pk]),
    describe=lambda installation: installation.number,
    # the applicant's installation: its documents are in the access export (UU PDP)
    of_customer=lambda customer: Installation.objects.filter(connection__customer=customer),
)
# The approved RAB is issued as a signed PDF in the approval's transaction.
events.on(
    installations.RAB_APPROVED, rab_document.rab_issue_on_approval, key="utility.rab_document"
)

registry.import_targets.register("utility.meter_readings", reading_imports.TARGET, order=40)


def water_facts(customer, actor) -> dict:
    """The customer's connection the actor may see, and its arrears."""
    from amanah.iam import authz

    if not authz.has_perm(actor, CONNECTION_VIEW):
        return {}
    connection = selectors.connection_of_customer(actor, customer)
    if connection is None:
        return {"water": None}
    ageing = selectors.arrears_ageing(actor, connection_ids=[connection.pk]).get(connection.pk)
    return {"water": connection, "water_ageing": ageing}


registry.facts.register("utility", water_facts)
registry.cards.register(
    "utility.connection",
    Card(gettext_lazy("Sambungan air"), "utility/_card.html", CONNECTION_VIEW),
    order=30,
)

registry.navigation.register(
    "utility.connections",
    NavItem(gettext_lazy("Pelanggan air"), "utility:connections", CONNECTION_VIEW, "main"),
    order=72,
)
registry.navigation.register(
    "utility.installations",
    NavItem(gettext_lazy("Sambungan baru"), "utility:installations", INSTALLATION_VIEW, "main"),
    order=76,
)
registry.navigation.register(
    "utility.network",
    NavItem(gettext_lazy("Wilayah & SPAM"), "utility:network", NETWORK_VIEW, "main"),
    order=73,
)
registry.navigation.register(
    "utility.tariffs",
    NavItem(gettext_lazy("Tarif air"), "utility:tariffs", TARIFF_VIEW, "main"),
    order=74,
)
registry.navigation.register(
    "utility.billing",
    NavItem(gettext_lazy("Penagihan air"), "utility:billing", BILLING_RUN, "main"),
    order=75,
)

# Its part of a data subject's access export (UU PDP; the privacy app reads the store).
registry.subject_sections.register("utility", _subject_section.SECTION)

# The service areas drawn on the field map (fieldops, issue 19).
map_areas.register(
    "utility.service_areas", MapAreas(gettext_lazy("Wilayah pelayanan"), selectors.area_outlines)
)
# Field work orders from water bills in arrears, located at the installation's GPS (seed 002).
arrears_sources.register(
    arrears.SOURCE_KEY,
    ArrearsSource(gettext_lazy("Tunggakan rekening air (PDAM)"), arrears.bills_arrears_select),
)

# Segmentation (issue 17): fields of marketing's segment rules, and the director's widgets.
registry.segment_fields.register(
    "utility.tariff",
    SegmentField(
        gettext_lazy("Golongan tarif air"), segments.tariff_choices, segments.tariff_condition
    ),
)
registry.segment_fields.register(
    "utility.arrears_band",
    SegmentField(
        gettext_lazy("Umur tunggakan air"), segments.arrears_choices, segments.arrears_condition
    ),
)
registry.segment_fields.register(
    "utility.consumption_band",
    SegmentField(
        gettext_lazy("Pemakaian air (tagihan terakhir)"),
        segments.consumption_choices,
        segments.consumption_condition,
    ),
)
registry.dashboard_widgets.register(
    "utility.arrears_by_band",
    Widget(
        gettext_lazy("Pelanggan menurut umur tunggakan"),
        CONNECTION_VIEW,
        personal_data=False,
        compute=segments.arrears_compute,
        present=segments.arrears_present,
        note=gettext_lazy(
            "Sambungan aktif; hari lewat jatuh tempo rekening tertua yang belum lunas."
        ),
    ),
    order=60,
)
registry.dashboard_widgets.register(
    "utility.customers_by_tariff",
    Widget(
        gettext_lazy("Pelanggan menurut golongan tarif"),
        CONNECTION_VIEW,
        personal_data=False,
        compute=segments.tariff_compute,
        present=segments.tariff_present,
        note=gettext_lazy("Sambungan aktif per golongan tarif."),
    ),
    order=61,
)

# --------------------------------------------------------------------------- area incidents
events.declare(incidents.INCIDENT_OPENED)
events.on("cases.case_classified", incidents.complaint_classified, key="utility.incident_group")
declare_workflow(
    WorkflowSpec(
        key=incidents.WORKFLOW_KEY,
        model="utility.AreaIncident",
        status_field="status",
        label=gettext_noop("Gangguan wilayah"),
        audit_action="MOVE_AREA_INCIDENT",
        on_apply=incidents.on_apply,
        transitions=(
            TransitionSpec(
                "OPEN",
                "RESOLVED",
                INCIDENT_MANAGE,
                gettext_noop("Selesaikan gangguan"),
                required=("resolution_note",),
            ),
        ),
    )
)
events.on(
    f"{incidents.WORKFLOW_KEY}.transitioned",
    incidents.incident_transitioned,
    key="utility.incident_resolved",
)
registry.navigation.register(
    "utility.incidents",
    NavItem(gettext_lazy("Gangguan wilayah"), "utility:incidents", INCIDENT_VIEW, "main"),
    order=77,
)
