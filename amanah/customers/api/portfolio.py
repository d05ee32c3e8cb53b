"""RM portfolios by API: a customer's RM and history, putting it in (or moving it to) an RM's
portfolio, taking it out, and moving an RM's customers at once — ``services.portfolio``. RMs
are named by their username."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Schema

from amanah.core.api import permission
from amanah.core.errors import ServiceError
from amanah.core.fields import Text
from amanah.customers import selectors, services
from amanah.customers.api.router import router
from amanah.customers.policies import PORTFOLIO_BULK, PORTFOLIO_MANAGE
from amanah.iam.models import User


def _user(username: str, field: str) -> User:
    found = User.objects.filter(username=username).first()
    if found is None:
        raise ServiceError(
            "not_an_rm", _("Pengguna ini bukan RM aktif yang mencakup cabang nasabah."), field=field
        )
    return found


class AssignmentOut(Schema):
    rm: str
    assigned_at: datetime
    reason: str
    active: bool
    ended_at: datetime | None
    end_reason: str


class PortfolioOut(Schema):
    rm: str | None
    history: list[AssignmentOut]


def _portfolio(customer) -> dict:
    history = selectors.portfolio_history(customer=customer)
    current = next((a for a in history if a.active), None)
    return {
        "rm": current.rm.username if current else None,
        "history": [
            {
                "rm": a.rm.username,
                "assigned_at": a.assigned_at,
                "reason": a.reason,
                "active": a.active,
                "ended_at": a.ended_at,
                "end_reason": a.end_reason,
            }
            for a in history
        ],
    }


def _changing(request, customer_id: UUID):
    return selectors.customer_for_change(
        actor=request.auth, permission=PORTFOLIO_MANAGE, customer_id=customer_id
    )


@router.get("/{customer_id}/portfolio", response=PortfolioOut, **permission(PORTFOLIO_MANAGE))
def portfolio(request, customer_id: UUID):
    """The customer's RM (null: none) and its portfolio history, newest first."""
    return _portfolio(_changing(request, customer_id))


class AssignIn(Schema):
    rm: Text(150, min_length=1)
    reason: Text(300) = ""


@router.put("/{customer_id}/portfolio", response=PortfolioOut, **permission(PORTFOLIO_MANAGE))
def portfolio_assign(request, customer_id: UUID, payload: AssignIn):
    """Put the customer in ``rm``'s portfolio (moving it from another RM); the same RM again
    changes nothing. ASSIGN_PORTFOLIO."""
    customer = _changing(request, customer_id)
    services.portfolio_assign(
        actor=request.auth, customer=customer, rm=_user(payload.rm, "rm"), reason=payload.reason
    )
    return _portfolio(customer)


class ReleaseIn(Schema):
    reason: Text(300, min_length=1)


@router.post(
    "/{customer_id}/portfolio/release", response=PortfolioOut, **permission(PORTFOLIO_MANAGE)
)
def portfolio_release(request, customer_id: UUID, payload: ReleaseIn):
    """Take the customer out of its RM's portfolio. RELEASE_PORTFOLIO."""
    customer = _changing(request, customer_id)
    services.portfolio_release(actor=request.auth, customer=customer, reason=payload.reason)
    return _portfolio(customer)


class TransferIn(Schema):
    from_rm: Text(150, min_length=1)
    to_rm: Text(150, min_length=1)
    reason: Text(300, min_length=1)
    # only these customers of from_rm; left out: all of from_rm's customers the caller may move
    customer_ids: list[UUID] | None = None


class TransferOut(Schema):
    moved: int


@router.post("/portfolio-transfers", response=TransferOut, **permission(PORTFOLIO_BULK))
def portfolio_transfer(request, payload: TransferIn):
    """Move an RM's customers to another RM at once (an RM leaving, a portfolio split), at
    most 10,000; one TRANSFER_PORTFOLIO audit row names them all."""
    moved = services.portfolio_transfer(
        actor=request.auth,
        from_rm=_user(payload.from_rm, "from_rm"),
        to_rm=_user(payload.to_rm, "to_rm"),
        reason=payload.reason,
        customer_ids=payload.customer_ids,
    )
    return {"moved": moved}
