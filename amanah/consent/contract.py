"""What consent offers the rest of the house, and nothing else.

* ``contactability(customer, purpose, channel, at=None)`` → :class:`Contactability`;
  ``with answered_once():`` around one read of a customer asks the database once per question
  (``allowed``, ``reasons``, ``reason``, ``must_wait``, ``refused``, ``next_window_at``,
  ``labels``) — the one rule for "may this customer be contacted / offered something";
* ``contact_hours(customer, purpose, since, days=2)`` — the same rule's contact window as UTC
  ``(start, end)`` pairs, for a device that must warn while offline (None: no window);
* ``with_contact_checks(qs, purpose, channel, at=None, reason="contact_reason")`` and
  ``contactable(qs, purpose, channel, at=None)`` — the same rule for many customers in SQL;
  ``with_channel_reasons(qs, purpose, channels, at=None)`` — its reason on each of several
  channels in one statement (``contact_reason_<channel>``), for a sender that chooses;
* ``Purpose``, ``ContactChannel``, ``Reason``, ``reason_label(code)``, ``blocked_flag(code)``;
  ``is_wait(code)`` — the window and the frequency caps only ask to wait, and
  ``wait_over_at(purpose, reason, tz, at)`` — when a set-based sender asks again about such a
  contact (a campaign batch comes back then; it never drops the customer);
* ``profiling(customer)`` → :class:`Profiling` (``allowed``, ``reason``, ``label``) — the one rule
  for "may this customer be profiled" (UU PDP Pasal 10: a customer whose PROFILING consent is
  WITHDRAWN objected); its set forms ``objects_to_profiling(customer="pk")`` (an ``Exists``),
  ``profiled(rows, customer="pk")`` and, for a statement written by hand,
  ``objects_to_profiling_sql(column)``; ``PROFILING_OBJECTED`` and its label for the readers
  that say why they did not profile (RFM, NBA, merchants, lead scores, journeys);
* ``register_contact_blocker(code, label, purposes=…, condition=…)`` — how a higher app
  (cases: an open sensitive case) adds a reason without consent importing it;
* ``register_contact_counter(key, counter)`` — how messaging supplies the counts behind the
  frequency caps (``counter(purpose, channel, since)`` → SQL over ``OuterRef("pk")``);
* event ``consent.consent_changed`` (``customer``, ``record``) after every consent change;
  event ``consent.channel_opted_out`` (``customer``, ``record``, ``channel``, ``ref``) after the
  customer's own withdrawal of one channel (unsubscribe link, STOP reply; ``ref`` is what the
  sender put into ``unsubscribe_url``, "" for a reply);
* event ``consent.suppression_added`` (``customer``, ``suppression``) when a customer is put on
  the do-not-contact list (``suppression_add``, once: adding it again emits nothing);
* communication preferences (issue 17): ``contact_preference_set(actor=…, customer=…,
  purpose=…, channel=…)`` (one channel per purpose, "" = any; event
  ``consent.contact_preference_changed``), ``preferred_channel(customer, purpose)`` and
  ``preferred_channels(customer_ids, purpose)`` for a sender choosing where to send
  (``with_preferred_channel(qs, purpose, name)``: its set form, for counts); the
  rule's ``NOT_PREFERRED`` refuses any other message channel for that purpose (for OFFER,
  unless the customer withdrew marketing on the preferred channel itself); the 360 tab
  ``consent.preferences``;
* ``may_change_consent(actor)`` — "marketing never edits consent", the one copy;
* ``lock_customer_for_consent(customer_id)`` — the lock every consent or do-not-contact change
  takes (FOR NO KEY UPDATE of the customer row); a sender that re-checks consent holds
  FOR SHARE on the same rows, so a withdrawal is either seen or waits;
* ``consent_states(customer)`` for display; ``current_states(customer, actor)`` — the states
  as the actor may see them, read once per 360 view (``core.reads``);
* the customer's own way out of offers on one channel: ``unsubscribe_url(customer, channel)``
  and ``unsubscribe_headers(customer, channel)`` (List-Unsubscribe, RFC 8058 one-click) for
  emails; ``is_stop_reply(text)`` and ``consent_withdraw_by_reply(channel=…, from_address=…)``
  for an inbound WhatsApp/SMS; ``consent_withdraw_channel(actor=…, …)`` for staff and
  integrations.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from amanah.consent import subject as _subject_section
from amanah.consent.contactability import (
    Contactability,
    ContactChannel,
    Purpose,
    Reason,
    answered_once,
    blocked_flag,
    contact_hours,
    contactability,
    contactable,
    is_wait,
    preferred_channel,
    preferred_channels,
    reason_codes,
    reason_label,
    register_contact_blocker,
    register_contact_counter,
    wait_over_at,
    with_channel_reasons,
    with_contact_checks,
    with_preferred_channel,
)
from amanah.consent.preferences import (
    PREFERENCE_CHANGED,
    contact_preference_set,
    preferences_move_to_survivor,
)
from amanah.consent.profiling import (
    PROFILING_OBJECTED,
    PROFILING_OBJECTED_LABEL,
    Profiling,
    objects_to_profiling,
    profiled,
    profiling,
)
from amanah.consent.services import (
    CHANNEL_OPTED_OUT,
    CONSENT_CHANGED,
    SUPPRESSION_ADDED,
    consent_move_to_survivor,
    consent_states,
    consent_withdraw_by_reply,
    consent_withdraw_channel,
    current_states,
    lock_customer_for_consent,
    may_change_consent,
    suppression_move_to_survivor,
)
from amanah.consent.sql import objects_to_profiling_sql
from amanah.consent.unsubscribe import is_stop_reply, unsubscribe_headers, unsubscribe_url
from amanah.consent.views_preferences import preferences_tab_context
from amanah.core import events, registry
from amanah.core.contributions import Tab
from amanah.customers.policies import CUSTOMER_VIEW

__all__ = [
    "CHANNEL_OPTED_OUT",
    "ContactChannel",
    "Contactability",
    "Purpose",
    "Reason",
    "PREFERENCE_CHANGED",
    "PROFILING_OBJECTED",
    "PROFILING_OBJECTED_LABEL",
    "Profiling",
    "SUPPRESSION_ADDED",
    "answered_once",
    "blocked_flag",
    "contact_hours",
    "consent_states",
    "current_states",
    "contact_preference_set",
    "consent_withdraw_by_reply",
    "consent_withdraw_channel",
    "is_stop_reply",
    "is_wait",
    "contactability",
    "contactable",
    "lock_customer_for_consent",
    "may_change_consent",
    "objects_to_profiling",
    "objects_to_profiling_sql",
    "profiled",
    "profiling",
    "preferred_channel",
    "preferred_channels",
    "reason_codes",
    "reason_label",
    "register_contact_blocker",
    "register_contact_counter",
    "unsubscribe_headers",
    "unsubscribe_url",
    "wait_over_at",
    "with_channel_reasons",
    "with_contact_checks",
    "with_preferred_channel",
]

events.declare(CONSENT_CHANGED)
events.declare(CHANNEL_OPTED_OUT)
events.declare(SUPPRESSION_ADDED)
events.declare(PREFERENCE_CHANGED)
registry.merge_movers.register("consent.preferences", preferences_move_to_survivor)
registry.merge_movers.register("consent.records", consent_move_to_survivor)
registry.merge_movers.register("consent.suppression", suppression_move_to_survivor)

# Its part of a data subject's access export (UU PDP; the privacy app reads the store).
registry.subject_sections.register("consent", _subject_section.SECTION)

# The customer's channel per purpose on the 360 (issue 17): shown to whoever may open the
# customer; the form only to whoever may change consent.
registry.workspace_tabs.register(
    "consent.preferences",
    Tab(
        gettext_lazy("Preferensi kontak"),
        "consent/_preferences_tab.html",
        CUSTOMER_VIEW,
        preferences_tab_context,
    ),
    order=15,
)
