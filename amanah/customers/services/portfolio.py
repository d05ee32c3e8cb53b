"""RM portfolios (seed 003 Bab 5.4, "Portfolio Scope"): put a customer in an RM's portfolio,
move it to another RM, take it out, and move many at once. Each change ends the active
assignment (who, when, why) and starts the next: the rows are the history. An RM's scope
is read from the active assignments at query time, so it follows a change at once.

Who may hold a portfolio is the permission ``customer.portfolio.hold`` (the RM's), and the RM's
branch scope must cover the customer's home branch."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.actors import user_or_none
from amanah.core.errors import ServiceError
from amanah.customers import selectors
from amanah.customers.models import Customer, PortfolioAssignment
from amanah.customers.policies import PORTFOLIO_BULK, PORTFOLIO_HOLD, PORTFOLIO_MANAGE
from amanah.customers.services.inputs import reason_text
from amanah.iam.contract import holders_of
from amanah.iam.models import User

# fn(*, actor, customer_ids): the active RM of these customers changed (assigned, moved to
# another RM, or taken out of every portfolio), in the change's transaction.
PORTFOLIO_CHANGED = "customers.portfolio_changed"
# A bulk move takes at most this many customers (a branch's RM portfolios are hundreds).
BULK_MAX = 10_000


def portfolio_holders(branch_ids) -> object:
    """Active staff who may hold a portfolio of customers of all ``branch_ids``."""
    return holders_of(PORTFOLIO_HOLD, branch_ids=list(branch_ids)).order_by("full_name", "pk")


def _require_holder(rm, branch_ids, *, field: str = "rm") -> User:
    if not isinstance(rm, User) or not portfolio_holders(branch_ids).filter(pk=rm.pk).exists():
        raise ServiceError(
            "not_an_rm",
            _("Pengguna ini bukan RM aktif yang mencakup cabang nasabah."),
            field=field,
        )
    return rm


def _not_merged(customer: Customer) -> None:
    if customer.is_merged:
        raise ServiceError(
            "customer_merged",
            _("Nasabah ini sudah digabung ke nasabah lain; atur portofolio nasabah itu."),
        )


def _active(customer_ids):
    return PortfolioAssignment.objects.filter(customer_id__in=customer_ids, active=True)


def _end(assignments, *, actor, at, reason: str) -> None:
    assignments.update(active=False, ended_at=at, ended_by=user_or_none(actor), end_reason=reason)


@transaction.atomic
def portfolio_assign(*, actor, customer: Customer, rm: User, reason: str = ""):
    """Put ``customer`` in ``rm``'s portfolio, ending the assignment to any other RM (a
    transfer). The same RM again changes nothing. The customer's row is locked first, so
    two assignments of one customer take turns."""
    customer = selectors.customer_for_change(
        actor=actor, permission=PORTFOLIO_MANAGE, customer_id=customer.pk, lock=True
    )
    _not_merged(customer)
    reason = reason_text(reason, required=False)
    _require_holder(rm, [customer.home_branch_id])
    previous = _active([customer.pk]).select_related("rm").first()
    if previous is not None and previous.rm_id == rm.pk:
        return previous
    at = timezone.now()
    if previous is not None:
        _end(_active([customer.pk]), actor=actor, at=at, reason=reason)
    assignment = PortfolioAssignment.objects.create(
        customer=customer, rm=rm, assigned_at=at, assigned_by=user_or_none(actor), reason=reason
    )
    events.emit(PORTFOLIO_CHANGED, actor=actor, customer_ids=[customer.pk])
    audit.record(
        actor=actor,
        action=AuditAction.ASSIGN_PORTFOLIO,
        obj=customer,
        meta={
            "rm": rm.username,
            "previous_rm": previous.rm.username if previous else None,
            "reason_length": len(reason),
        },
    )
    return assignment


@transaction.atomic
def portfolio_release(*, actor, customer: Customer, reason: str) -> PortfolioAssignment:
    """Take ``customer`` out of its RM's portfolio (the RM leaves, the customer asks for the
    branch instead); the assignment ends with the reason."""
    customer = selectors.customer_for_change(
        actor=actor, permission=PORTFOLIO_MANAGE, customer_id=customer.pk, lock=True
    )
    reason = reason_text(reason)
    previous = _active([customer.pk]).select_related("rm").first()
    if previous is None:
        raise ServiceError(
            "not_in_portfolio", _("Nasabah ini tidak ada di portofolio RM mana pun.")
        )
    _end(_active([customer.pk]), actor=actor, at=timezone.now(), reason=reason)
    events.emit(PORTFOLIO_CHANGED, actor=actor, customer_ids=[customer.pk])
    audit.record(
        actor=actor,
        action=AuditAction.RELEASE_PORTFOLIO,
        obj=customer,
        meta={"previous_rm": previous.rm.username, "reason_length": len(reason)},
    )
    return previous


def _bulk_customers(actor, from_rm: User, customer_ids) -> list:
    """The customers (ids, in order) of ``from_rm``'s active portfolio that ``actor`` may
    move, locked in id order; ``customer_ids`` narrows them (unknown ones are refused)."""
    rows = selectors.customers_writable(actor, permission=PORTFOLIO_BULK).filter(
        assignments__rm=from_rm, assignments__active=True
    )
    if customer_ids is not None:
        wanted = {str(pk) for pk in customer_ids}
        rows = rows.filter(pk__in=list(wanted))
    found = list(
        Customer.objects.filter(pk__in=rows.values("pk"))
        .order_by("pk")
        .select_for_update(of=("self",))
        .values_list("pk", "home_branch_id")
    )
    # read again under the locks: a customer moved meanwhile is no longer from_rm's
    still = set(
        _active([pk for pk, _b in found]).filter(rm=from_rm).values_list("customer_id", flat=True)
    )
    found = [(pk, branch) for pk, branch in found if pk in still]
    if customer_ids is not None and len(found) != len(wanted):
        raise ServiceError(
            "customer_not_in_portfolio",
            _("Ada nasabah yang tidak ada di portofolio RM asal (atau di luar scope Anda)."),
            field="customer_ids",
        )
    return found


@transaction.atomic
def portfolio_transfer(*, actor, from_rm: User, to_rm: User, reason: str, customer_ids=None) -> int:
    """Move ``from_rm``'s customers (those ``actor`` may move; only ``customer_ids`` when
    given) to ``to_rm`` at once — an RM leaving, a portfolio split. Set-based: one UPDATE ends
    the assignments, one INSERT starts the new ones; one audit row names every customer
    (TRANSFER_PORTFOLIO). Returns how many moved."""
    reason = reason_text(reason)
    if not isinstance(from_rm, User):
        raise ServiceError("rm_required", _("Pilih RM asal."), field="from_rm")
    if isinstance(to_rm, User) and to_rm.pk == from_rm.pk:
        raise ServiceError("same_rm", _("RM tujuan harus berbeda dari RM asal."), field="to_rm")
    if customer_ids is not None and len(customer_ids) > BULK_MAX:
        raise ServiceError(
            "too_many",
            _("Paling banyak %d nasabah sekali pindah.") % BULK_MAX,
            field="customer_ids",
        )
    found = _bulk_customers(actor, from_rm, customer_ids)
    if not found:
        raise ServiceError(
            "portfolio_empty", _("Tidak ada nasabah RM asal yang dapat Anda pindahkan."),
            field="from_rm",
        )  # fmt: skip
    if len(found) > BULK_MAX:
        raise ServiceError(
            "too_many", _("Paling banyak %d nasabah sekali pindah.") % BULK_MAX, field="from_rm"
        )
    _require_holder(to_rm, {branch for _pk, branch in found}, field="to_rm")
    ids = [pk for pk, _branch in found]
    at = timezone.now()
    _end(_active(ids).filter(rm=from_rm), actor=actor, at=at, reason=reason)
    PortfolioAssignment.objects.bulk_create(
        [
            PortfolioAssignment(
                customer_id=pk,
                rm=to_rm,
                assigned_at=at,
                assigned_by=user_or_none(actor),
                reason=reason,
            )
            for pk in ids
        ],
        batch_size=2_000,
    )
    events.emit(PORTFOLIO_CHANGED, actor=actor, customer_ids=ids)
    audit.record_batch(
        actor=actor,
        action=AuditAction.TRANSFER_PORTFOLIO,
        object_type=Customer._meta.label,
        object_ids=ids,
        meta={"from_rm": from_rm.username, "to_rm": to_rm.username, "reason_length": len(reason)},
    )
    return len(ids)
