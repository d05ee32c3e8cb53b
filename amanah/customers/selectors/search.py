"""Customer search (US-01): one box for name, phone, CIF, account or NIK — inside scope only."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import ratelimit, scopes
from amanah.core.errors import NOT_FOUND, NotFound, ServiceError
from amanah.core.inputs import problem_in_text
from amanah.core.masking import mask_account
from amanah.core.prepared import prepared
from amanah.core.sqlparams import id_text, uuid_rows
from amanah.customers.models import (
    Customer,
    CustomerIdentifier,
    DuplicateFlag,
    IdentifierType,
)
from amanah.customers.names import normalize_name
from amanah.customers.policies import (
    CUSTOMER_SEARCH,
    CUSTOMER_VIEW,
    is_portfolio_scoped,
)
from amanah.customers.validation import looks_like_phone, normalize_phone
from amanah.iam import authz
from amanah.iam.models import Branch

MIN_QUERY_LENGTH = 3
RESULT_LIMIT = 20


class Match:
    EXACT = "EXACT"
    PARTIAL = "PARTIAL"
    POSSIBLE_DUPLICATE = "POSSIBLE_DUPLICATE"


@dataclass
class SearchHit:
    customer: Customer
    match: str
    matched_on: str  # NAME, PHONE, CIF, NIK, ACCOUNT_NO
    score: float
    masked_cif: str = ""
    possible_duplicate: bool = False


def _identifier_key(query: str) -> str:
    return re.sub(r"[\s\-.]", "", query).upper()


def _searchable(actor, whole_bank: bool = False):
    """The customers a search may find: visible to the actor (or, for ``whole_bank``, any —
    ``customers_by_exact_key``), not merged into another."""
    rows = Customer.objects.all() if whole_bank else Customer.objects.visible_to(actor)
    return rows.filter(merged_into__isnull=True).select_related("home_branch")


# The search's reads, each kept compiled per actor's grants (``core.prepared``): a desk
# searches all day, and building these statements cost more than running them.
@prepared(CustomerIdentifier, params=("key",))
def _identifier_rows(actor, *, key: str, whole_bank: bool):
    return (
        CustomerIdentifier.objects.filter(id_value=key, customer__in=_searchable(actor, whole_bank))
        .select_related("customer")
        .order_by("id_type")[:RESULT_LIMIT]
    )


@prepared(Customer, params=("phone",))
def _phone_rows(actor, *, phone: str, whole_bank: bool):
    return _searchable(actor, whole_bank).filter(phone_e164=phone)[:RESULT_LIMIT]


def _by_identifier(actor, query: str, whole_bank: bool = False) -> list[SearchHit]:
    key = _identifier_key(query)
    if not key.isalnum():
        return []
    rows = _identifier_rows(actor, key=key, whole_bank=whole_bank)
    return [SearchHit(r.customer, Match.EXACT, r.id_type, 1.0) for r in rows]


def _by_phone(actor, query: str, whole_bank: bool = False) -> list[SearchHit]:
    if not looks_like_phone(query):
        return []
    try:
        phone = normalize_phone(query)
    except ServiceError:
        return []
    rows = _phone_rows(actor, phone=phone, whole_bank=whole_bank)
    return [SearchHit(c, Match.EXACT, "PHONE", 1.0) for c in rows]


# pg_trgm's default word-similarity threshold, the one the %> operator applies.
WORD_SIMILARITY_THRESHOLD = 0.6


# A branch scope of up to this many branches asks each branch on its own, each part answered
# by its branch's trigram GIN (name_indexes); a wider scope (a region, a director's whole
# bank) asks the whole bank's trigram GIN once, keeping the branch filter. N parts cost about
# N times one part, the whole-bank GIN the same for any scope: at 1M customers (raw SQL,
# 2026-11-26) per-branch against whole-bank p95 was 7 against 48 ms at 3 branches, 20
# against 52 at 10, 67 against 55 at 30 (docs/benchmarks.md, issue 21).
PER_BRANCH_MAX = 20


def _name_predicate(queryset, key: str):
    return queryset.filter(name_search__trigram_word_similar=key).annotate(
        score=TrigramWordSimilarity(key, "name_search")
    )


def _branch_name_predicate(queryset, key: str):
    """``lower(name_search)`` (the column is lower case already: same rows, same scores), the
    expression of the branches' partial GINs alone: on the column the planner would take the
    whole bank's GIN for a part whenever the name's trigrams are common."""
    lowered = Lower("name_search")
    return (
        queryset.annotate(name_key=lowered)
        .filter(name_key__trigram_word_similar=key)
        .annotate(score=TrigramWordSimilarity(key, lowered))
    )


@prepared(Customer, params=("key",))
def _by_name_rows(actor, *, key: str):
    """The best ``RESULT_LIMIT`` rows whose name matches ``key``, with a score, ordered by
    (score desc, full name) — phrased so the planner picks the index that fits the actor's
    scope (measured at 1M customers, docs/benchmarks.md):

    - own portfolio (RM): the similarity function, which no index answers, so the plan starts
      from the few hundred portfolio rows instead of a trigram index;
    - a few branches: one part per branch, ``home_branch_id = <that branch>`` a constant in
      the statement (Django's psycopg binds client-side, so the value is in the SQL text the
      planner proves a partial index with) and ``lower(name_search)``, the partial indexes'
      expression, so each part reads its branch's trigram GIN alone; each part keeps its own
      best ``RESULT_LIMIT`` and the UNION ALL of them is ranked and cut again: the same rows
      as one query over all the branches. Rows lent by a row grant outside those branches
      (break-glass) come as one more part;
    - many branches, or the whole bank: the operator, answered by the whole bank's trigram
      GIN on ``name_search`` (the branch filter, if any, applied to its candidates).
    """
    order = ("-score", "full_name")
    visible = _searchable(actor)
    if is_portfolio_scoped(actor):
        rows = visible.annotate(score=TrigramWordSimilarity(key, "name_search")).filter(
            score__gte=WORD_SIMILARITY_THRESHOLD
        )
        return rows.order_by(*order)[:RESULT_LIMIT]
    grants = scopes.grants_of(actor)
    branch_ids = sorted(grants.branch_ids, key=str)
    if grants.all_branches or not branch_ids or len(branch_ids) > PER_BRANCH_MAX:
        return _name_predicate(visible, key).order_by(*order)[:RESULT_LIMIT]
    parts = [visible.filter(home_branch_id=branch_id) for branch_id in branch_ids]
    lent = scopes.lent_pks(Customer, actor)
    if lent:
        parts.append(visible.filter(pk__in=lent).exclude(home_branch_id__in=branch_ids))
    parts = [_branch_name_predicate(part, key).order_by(*order)[:RESULT_LIMIT] for part in parts]
    if len(parts) == 1:
        return parts[0]
    return parts[0].union(*parts[1:], all=True).order_by(*order)[:RESULT_LIMIT]


def _by_name(actor, query: str) -> list[SearchHit]:
    key = normalize_name(query)
    if len(key) < MIN_QUERY_LENGTH or not re.search(r"[a-z]", key):
        return []
    return [
        SearchHit(
            c, Match.EXACT if c.name_search == key else Match.PARTIAL, "NAME", round(c.score, 3)
        )
        for c in _by_name_rows(actor, key=key)
    ]


def _decorate(hits: list[SearchHit]) -> list[SearchHit]:
    """Add the masked CIF and the possible-duplicate badge, with one query each (prepared,
    the hits' ids one parameter: every search runs them)."""
    if not hits:
        return hits
    ids = id_text(h.customer.pk for h in hits)
    cifs = dict(_primary_cifs(None, ids=ids))
    flagged = set()
    for a, b in _open_duplicate_pairs(None, ids=ids):
        flagged.update((a, b))
    for hit in hits:
        hit.masked_cif = mask_account(cifs.get(hit.customer.pk, ""))
        hit.possible_duplicate = hit.customer.pk in flagged
        if hit.possible_duplicate and hit.match != Match.EXACT:
            hit.match = Match.POSSIBLE_DUPLICATE
    return hits


@prepared(CustomerIdentifier, params=("ids",))
def _primary_cifs(_actor, *, ids):
    return CustomerIdentifier.objects.filter(
        customer_id__in=uuid_rows(ids), id_type=IdentifierType.CIF, is_primary=True
    ).values_list("customer_id", "id_value")


@prepared(DuplicateFlag, params=("ids",))
def _open_duplicate_pairs(_actor, *, ids):
    return DuplicateFlag.objects.filter(
        Q(customer_a_id__in=uuid_rows(ids)) | Q(customer_b_id__in=uuid_rows(ids)), status="OPEN"
    ).values_list("customer_a_id", "customer_b_id")


def customer_search(*, actor, query: str) -> list[SearchHit]:
    """Scoped search; exact identifier/phone matches first, then fuzzy name matches.

    Every search is audited (SEARCH_CUSTOMER) with a keyed hash of the query, never the query.
    The rate-limit count, the search and the audit row share one transaction: one commit.
    """
    authz.require(actor, CUSTOMER_SEARCH)
    query = " ".join((query or "").split())[:100]
    if len(query) < MIN_QUERY_LENGTH:
        raise ServiceError("query_too_short", _("Ketik minimal 3 karakter."), field="q")
    with transaction.atomic():
        ratelimit.require_search_budget(actor, "customer-search")
        hits: list[SearchHit] = []
        seen = set()
        exact = _by_identifier(actor, query) + _by_phone(actor, query)
        for hit in exact + _by_name(actor, query):
            if hit.customer.pk not in seen and len(hits) < RESULT_LIMIT:
                seen.add(hit.customer.pk)
                hits.append(hit)
        hits = _decorate(hits)
        audit.record(
            actor=actor,
            action=AuditAction.SEARCH_CUSTOMER,
            object_type="CUSTOMER_SEARCH",
            object_id="",
            meta={"query_hash": audit.keyed_hash(query), "result_count": len(hits)},
        )
    return hits


@prepared(Customer, params=("customer_id",))
def _visible_customer(actor, *, customer_id):
    return Customer.objects.visible_to(actor).select_related("home_branch").filter(pk=customer_id)


def customer_for(*, actor, customer_id) -> Customer:
    """The customer if the actor may open it; missing and out of scope both raise NotFound."""
    authz.require(actor, CUSTOMER_VIEW)
    # A text that is no UUID is refused as the ORM's filter refuses it (ValidationError).
    found = _visible_customer(actor, customer_id=Customer._meta.pk.to_python(customer_id))
    if not found:
        raise NotFound()
    customer = found[0]
    if scopes.row_grant_of(actor, customer) is not None:
        # Opened through a break-glass grant: every page, fragment and API read that loads the
        # customer leaves a row (audit.record adds the grant's id).
        with transaction.atomic():
            audit.record(actor=actor, action=AuditAction.BREAK_GLASS_ACCESS, obj=customer)
    return customer


def customer_by_cif_in_branches(*, actor, cif) -> Customer:
    """The customer with this CIF among the actor's branches, for a role that acts on a
    customer it does not see on the customer pages (a break-glass request, a data subject's
    access export): the declared scope of Customer cannot decide, the branch part of the
    actor's grants does. Missing, merged and outside are refused alike (``not_found``: a 404
    with the message next to the field)."""
    missing = ServiceError(
        NOT_FOUND, _("Tidak ada nasabah dengan CIF itu dalam scope Anda."), field="cif"
    )
    cif = (cif if isinstance(cif, str) else "").strip()
    if not cif or problem_in_text(cif) or len(cif) > 40:
        raise missing
    identifier = (
        CustomerIdentifier.objects.filter(id_type=IdentifierType.CIF, id_value=cif)
        .select_related("customer")
        .first()
    )
    if identifier is None or identifier.customer.is_merged:
        raise missing
    if not authz.branch_scope(actor).allows(identifier.customer.home_branch_id):
        raise missing
    return identifier.customer


EXACT_KEY_LIMIT = 5


def customers_by_exact_key(term: str) -> list[Customer]:
    """Customers of the *whole bank* (not merged away) whose CIF, NIK, account number or phone
    is exactly ``term`` — at most ``EXACT_KEY_LIMIT``, never a name or a partial match.

    No scope and no permission here: for a caller that has checked its own permission, limits
    and audits the look-up and shows what it finds masked (cases' intake at any branch: a
    complaint is accepted at any office). Nothing else may use it to read customers."""
    term = " ".join((term or "").split())[:40]
    if len(term) < MIN_QUERY_LENGTH or not term.isprintable():
        return []
    found: dict = {}
    everyone = {"actor": None, "query": term, "whole_bank": True}
    for hit in _by_identifier(**everyone) + _by_phone(**everyone):
        found.setdefault(hit.customer.pk, hit.customer)
    return list(found.values())[:EXACT_KEY_LIMIT]


def branches_for_customers(actor) -> list[Branch]:
    """The active branches a new customer of ``actor`` may belong to (their branch scope), the
    actor's own home branch first: the default of the customer form."""
    scope = authz.branch_scope(actor)
    rows = Branch.objects.filter(is_active=True).order_by("code")
    if not scope.all_branches:
        rows = rows.filter(pk__in=scope.branch_ids)
    branches = list(rows)
    home = getattr(actor, "home_branch_id", None)
    branches.sort(key=lambda b: b.pk != home)
    return branches
