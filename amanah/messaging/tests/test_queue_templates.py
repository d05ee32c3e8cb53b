"""A template to many customers, rendered per customer (``queueing_templates``)."""

from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.customers.models import Customer
from amanah.messaging.contract import message_queue_template_many
from amanah.messaging.models import Message, MessageTemplate, TemplateVersion
from amanah.messaging.queueing_templates import needs_customer
from amanah.messaging.sources import labels_for, source_labels
from amanah.messaging.tests.conftest import TUESDAY_10, grant


def _approved(channel="EMAIL", *, text, subject="", html="", purpose="OFFER") -> TemplateVersion:
    template = MessageTemplate.objects.create(
        key="uji.massal", channel=channel, purpose=purpose, name="Uji massal"
    )
    now = timezone.now()
    return TemplateVersion.objects.create(
        template=template,
        number=3,
        subject=subject,
        text=text,
        html=html,
        status="APPROVED",
        submitted_at=now,
        decided_at=now,
    )


def _queue(system, customers, version):
    return message_queue_template_many(
        actor=system,
        customers=Customer.objects.filter(pk__in=[c.pk for c in customers]),
        version=version,
        context={},
        channel="EMAIL",
        purpose="OFFER",
        source="CAMPAIGN",
        source_id="kampanye-uji",
        at=TUESDAY_10,
    )


def test_each_customer_gets_their_own_escaped_content_once(system, make_customers, branch_a):
    granted = make_customers(2, granted=True)
    tricky = Customer.objects.create(
        full_name="Rudi <b>Tebal</b> Harahap",
        name_search="rudi tebal harahap",
        home_branch=branch_a,
        email="rudi@contoh.co.id",
    )
    grant([tricky])
    refused = make_customers(1)  # no marketing consent
    nowhere = make_customers(1, email=False, granted=True)
    version = _approved(
        subject="Untuk {{customer.first_name}}",
        text="Halo {{customer.full_name}}.",
        html="<p>Halo {{customer.full_name}}</p>",
    )
    assert needs_customer(version)

    counts = _queue(system, [*granted, tricky, *refused, *nowhere], version)

    assert counts == {
        "queued": 3,
        "waiting": 0,
        "cancelled": {"NO_CONSENT": 1},
        "no_address": 1,
        "already_queued": 0,
    }
    rows = {m.customer_id: m for m in Message.objects.filter(source_id="kampanye-uji")}
    assert set(rows) == {*(c.pk for c in granted), tricky.pk, refused[0].pk}
    for customer in granted:
        assert rows[customer.pk].text == f"Halo {customer.full_name}."
        assert rows[customer.pk].subject == "Untuk Nasabah"
    mine = rows[tricky.pk]
    assert mine.subject == "Untuk Rudi"
    assert mine.text == "Halo Rudi <b>Tebal</b> Harahap."  # plain text: as written
    assert mine.html == "<p>Halo Rudi &lt;b&gt;Tebal&lt;/b&gt; Harahap</p>"  # HTML: escaped
    assert (mine.template_key, mine.template_version, mine.status) == ("uji.massal", 3, "QUEUED")
    assert rows[refused[0].pk].status == "CANCELLED"

    again = _queue(system, [*granted, tricky, *refused, *nowhere], version)
    assert again["already_queued"] == 4 and again["queued"] == 0
    assert Message.objects.filter(source_id="kampanye-uji").count() == 4
    audits = AuditLog.objects.filter(object_id="CAMPAIGN:kampanye-uji")
    assert all("Rudi" not in str(a.meta) and "contoh" not in str(a.meta) for a in audits)


def test_without_customer_placeholders_the_content_is_shared(system, make_customers):
    customers = make_customers(3, granted=True)
    version = _approved(subject="Kabar", text="Cabang kami buka Sabtu.")
    assert not needs_customer(version)
    counts = _queue(system, customers, version)
    assert counts["queued"] == 3
    assert set(Message.objects.values_list("text", flat=True)) == {"Cabang kami buka Sabtu."}


def test_sources_are_named_by_their_owner_or_keep_their_id(db):
    assert labels_for("SURVEY", ["a"]) == {}
    with source_labels.temporarily("SURVEY", lambda ids: {i: f"Survei {i}" for i in ids}):
        assert labels_for("SURVEY", ["x", "", "x"]) == {"x": "Survei x"}
