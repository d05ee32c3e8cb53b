"""What the customers app offers the house: its pages in the menu (possible duplicates, RM
portfolios, the fraud flag), its merge movers, the 360's quick actions (identities and
relations, the portfolio), which customer fields are masked, the workflows of merge requests
(four eyes as its guard) and of possible duplicates, the import targets (customers with
identifiers, product indicators, relations, portfolios), and the events:

- ``customers.customer_created`` (``actor, customer``), ``customers.customer_updated``
  (``actor, customer, changed``), ``customers.customer_closed`` (``actor, customer``: the
  follow-up desk lets it go);
- ``customers.identifiers_changed`` (``actor, customer, id_type``),
  ``customers.relations_changed`` (``actor, customer_ids``),
  ``customers.portfolio_changed`` (``actor, customer_ids``: their RM changed),
  ``customers.fraud_flag_changed`` (``actor, customer, flagged``);
- the imports' ``customers.customers_imported`` / ``products_imported`` /
  ``relations_imported`` (``actor, count``) and ``customers.identifiers_imported``
  (``actor, customer_ids``).

Published rules: :func:`customers_writable` — the customers an actor may change with a
permission (master data's write scope: a system key reaches its branches' customers without
reading them; docs/api.md) — and :func:`customer_ids_by_cif`, how another app's import names
the customers its rows are about, in that scope — and :func:`customer_for`, the customer an
actor may open (missing and out of scope both NotFound), for a page or an operation of another
app about one customer."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from amanah.audit.contract import register_object_labels, uuid_ids
from amanah.audit.models import AuditAction
from amanah.core import events, registry
from amanah.core.contributions import (
    NavItem,
    QuickAction,
    RevealableField,
    TemplateVariable,
    revealable_key,
)
from amanah.core.masking import mask_name
from amanah.customers import merge, name_indexes
from amanah.customers import subject as _subject_section
from amanah.customers.imports import customers as customer_imports
from amanah.customers.imports import portfolios as portfolio_imports
from amanah.customers.imports import products as product_imports
from amanah.customers.imports import relations as relation_imports
from amanah.customers.models import Customer, DuplicateStatus, MergeStatus
from amanah.customers.policies import (
    CUSTOMER_MANAGE,
    DUPLICATES_VIEW,
    FRAUD_FLAG,
    MERGE_APPROVE,
    PORTFOLIO_HOLD,
    PORTFOLIO_MANAGE,
)
from amanah.customers.selectors import customer_for, customer_ids_by_cif, customers_writable
from amanah.customers.services import (
    CUSTOMER_CLOSED,
    CUSTOMER_CREATED,
    CUSTOMER_UPDATED,
    FRAUD_FLAG_CHANGED,
    IDENTIFIERS_CHANGED,
    PORTFOLIO_CHANGED,
    RELATIONS_CHANGED,
)
from amanah.iam.contract import BRANCH_CREATED
from amanah.iam.policies import PII_REVEAL
from amanah.workflow.contract import (
    TransitionSpec,
    WorkflowSpec,
    declare_workflow,
    register_guard,
)

__all__ = ["customer_for", "customer_ids_by_cif", "customers_writable"]

for key, item, order in (
    ("customers.duplicates", NavItem(_("Data ganda"), "customers:duplicates", DUPLICATES_VIEW), 80),
    (
        "customers.portfolios",
        NavItem(_("Portofolio RM"), "customers:portfolios", PORTFOLIO_MANAGE),
        81,
    ),
    (
        "customers.my_portfolio",
        NavItem(_("Portofolio saya"), "customers:my_portfolio", PORTFOLIO_HOLD),
        82,
    ),
    ("customers.fraud", NavItem(_("Tanda fraud"), "customers:fraud_flags", FRAUD_FLAG), 83),
):
    registry.navigation.register(key, item, order=order)

for key, action, order in (
    (
        "customers.duplicates",
        QuickAction(
            _("Periksa data ganda"), DUPLICATES_VIEW, lambda c: reverse("customers:duplicates")
        ),
        20,
    ),
    (
        "customers.master_data",
        QuickAction(
            _("Identitas dan relasi"),
            CUSTOMER_MANAGE,
            lambda c: reverse("customers:master_data", args=[c.pk]),
        ),
        21,
    ),
    (
        "customers.portfolio",
        QuickAction(
            _("Portofolio RM"),
            PORTFOLIO_MANAGE,
            lambda c: reverse("customers:portfolio", args=[c.pk]),
        ),
        22,
    ),
):
    registry.quick_actions.register(key, action, order=order)

registry.merge_movers.register("customers.identifiers", merge.move_identifiers)
registry.merge_movers.register("customers.relations", merge.move_relations)
registry.merge_movers.register("customers.portfolio", merge.move_portfolio)
registry.merge_movers.register("customers.profile", merge.merge_profile)
registry.merge_movers.register("customers.fraud_flag_changes", merge.move_fraud_flag_changes)

# Masked by default on every page and API answer; revealed one at a time, audited.
for model, field, kind in (
    ("customers.Customer", "phone_e164", "phone"),
    ("customers.Customer", "email", "email"),
    # shown masked only where the viewer may not open the customer (a case of another
    # branch's customer taken at this office); revealed through the case (``field_reveal_via``)
    ("customers.Customer", "full_name", "name"),
    ("customers.CustomerIdentifier", "id_value", "account"),
):
    registry.revealable_fields.register(
        revealable_key(model, field), RevealableField(kind, PII_REVEAL)
    )


def _first_name(context) -> str:
    words = context["customer"].full_name.split()
    return words[0] if words else ""


# Placeholders message templates may use (messaging's allow-list); names are personal data,
# masked in previews of a real customer.
for name, variable in (
    (
        "customer.first_name",
        TemplateVariable(_("Nama depan nasabah"), "customer", _first_name, "Siti", pii=True),
    ),
    (
        "customer.full_name",
        TemplateVariable(
            _("Nama lengkap nasabah"),
            "customer",
            lambda c: c["customer"].full_name,
            "Siti Aminah",
            pii=True,
        ),
    ),
):
    registry.template_variables.register(name, variable)

# A merge proposed (fn(*, actor, request)): the approvers are told (messaging).
events.declare(merge.MERGE_PROPOSED)
events.declare(CUSTOMER_CLOSED)
# fn(*, actor, customer): registered; fn(*, actor, customer, changed): master data changed.
events.declare(CUSTOMER_CREATED)
events.declare(CUSTOMER_UPDATED)
for name in (IDENTIFIERS_CHANGED, RELATIONS_CHANGED, PORTFOLIO_CHANGED, FRAUD_FLAG_CHANGED):
    events.declare(name)


def name_index_for_new_branch(*, actor, branch) -> None:
    """The new branch's name-search index, built in the branch's transaction
    (customers.name_indexes: the two commit together), or else the repair job queued in it
    (once: a repair already waiting will build it too)."""
    if not name_indexes.build_for_branch(branch.pk):
        from amanah.core.tasks import defer_unless_waiting
        from amanah.customers.tasks import name_indexes_ensure

        defer_unless_waiting(name_indexes_ensure)


events.on(BRANCH_CREATED, name_index_for_new_branch)
registry.data_indexes.register("customers.branch_name_indexes", name_indexes.PREFIX)

# fn(*, actor, count): a batch import created customers (one event per batch, not per row);
# fn(*, actor, customer_ids): it added account numbers to customers known already.
events.declare(customer_imports.CUSTOMERS_IMPORTED)
events.declare(customer_imports.IDENTIFIERS_IMPORTED)
# Customers with identifiers as a batch import target (integrations runs the pipeline).
registry.import_targets.register("customers.customers", customer_imports.TARGET, order=10)
# fn(*, actor, count): a batch import changed customers' product indicators.
events.declare(product_imports.PRODUCTS_IMPORTED)
registry.import_targets.register("customers.products", product_imports.PRODUCTS_TARGET, order=11)
# fn(*, actor, count): a batch import added relations between customers.
events.declare(relation_imports.RELATIONS_IMPORTED)
registry.import_targets.register("customers.relations", relation_imports.RELATIONS_TARGET, order=12)
# RM portfolios (emits customers.portfolio_changed).
registry.import_targets.register("customers.portfolios", portfolio_imports.TARGET, order=13)

declare_workflow(
    WorkflowSpec(
        key=merge.DUPLICATE_WORKFLOW,
        model="customers.DuplicateFlag",
        status_field="status",
        label=gettext_noop("Kandidat data ganda"),
        on_apply=merge.duplicate_on_apply,
        transitions=(
            TransitionSpec(
                DuplicateStatus.OPEN,
                DuplicateStatus.DISMISSED,
                DUPLICATES_VIEW,
                gettext_noop("Bukan duplikat"),
                required=("note",),
                audit_action=AuditAction.DISMISS_DUPLICATE,
            ),
            # set-based by an approved merge (merge._close_duplicate_flags), under its audit row
            TransitionSpec(
                DuplicateStatus.OPEN,
                DuplicateStatus.MERGED,
                MERGE_APPROVE,
                gettext_noop("Digabung"),
            ),
            TransitionSpec(
                DuplicateStatus.DISMISSED,
                DuplicateStatus.MERGED,
                MERGE_APPROVE,
                gettext_noop("Digabung"),
            ),
        ),
    )
)

MERGE_FOUR_EYES = register_guard(
    "customers.merge.four_eyes",
    merge.decided_by_someone_else,
    message=_("Pengusul tidak boleh menyetujui usulannya sendiri."),
)
declare_workflow(
    WorkflowSpec(
        key="customers.merge",
        model="customers.MergeRequest",
        status_field="status",
        label=gettext_noop("Penggabungan nasabah"),
        on_apply=merge.merge_on_apply,
        transitions=(
            TransitionSpec(
                MergeStatus.PENDING,
                MergeStatus.APPROVED,
                MERGE_APPROVE,
                gettext_noop("Setujui penggabungan"),
                guard=MERGE_FOUR_EYES,
                audit_action=AuditAction.APPROVE_MERGE,
            ),
            TransitionSpec(
                MergeStatus.PENDING,
                MergeStatus.REJECTED,
                MERGE_APPROVE,
                gettext_noop("Tolak penggabungan"),
                guard=MERGE_FOUR_EYES,
                audit_action=AuditAction.REJECT_MERGE,
            ),
        ),
    )
)


def _customer_names(ids: list[str]) -> dict[str, str]:
    rows = Customer.objects.filter(pk__in=uuid_ids(ids)).values_list("pk", "full_name")
    return {str(pk): mask_name(full_name) for pk, full_name in rows}


# The audit viewer names a customer by the masked name, never the name itself.
register_object_labels("customers.Customer", label=_("Nasabah"), names=_customer_names)

# Its part of a data subject's access export (UU PDP; the privacy app reads the store).
registry.subject_sections.register("customers", _subject_section.SECTION)
