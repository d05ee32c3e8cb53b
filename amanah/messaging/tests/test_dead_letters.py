"""The dead-letter page: masked addresses, Indonesian labels, retry after a confirmation."""

from django.urls import reverse

from amanah.audit.models import AuditLog
from amanah.core.roles import RoleKey as R
from amanah.messaging.contract import Rendered, message_queue
from amanah.messaging.models import Message


def _dead(system, customer, *, status="DEAD"):
    message = message_queue(
        actor=system,
        channel="EMAIL",
        purpose="SERVICE",
        rendered=Rendered(subject="Tanda terima", text="Isi rahasia pesan."),
        source="CASE",
        source_id="K-9",
        customer=customer,
    )
    Message.objects.filter(pk=message.pk).update(
        status=status, attempts=6, last_error_code="smtp_451"
    )
    return message


def test_admin_sees_masked_dead_letters_and_retries_after_confirming(
    system, make_customers, signed_in, branch_a
):
    (customer,) = make_customers(1)
    message = _dead(system, customer)
    client, admin = signed_in(R.ADMIN, branches=[branch_a])
    page = client.get(reverse("messaging:dead_letters")).content.decode()
    assert message.address_masked in page and customer.email not in page
    assert "Gagal berulang (dead letter)" in page and "smtp_451" in page
    assert "Isi rahasia pesan." not in page

    confirm = client.get(reverse("messaging:retry", args=[message.pk]))
    assert confirm.status_code == 200 and b"confirm-retry" in confirm.content
    assert Message.objects.get(pk=message.pk).status == "DEAD"  # asking changes nothing

    refused = client.post(reverse("messaging:retry", args=[message.pk]), {})
    assert refused.status_code == 303
    assert Message.objects.get(pk=message.pk).status == "DEAD"

    done = client.post(reverse("messaging:retry", args=[message.pk]), {"confirm": "yes"})
    assert done.status_code == 303
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("QUEUED", 0)
    log = AuditLog.objects.filter(action="RETRY_MESSAGE").latest("id")
    assert log.object_id == str(message.pk) and log.actor_username == admin.username
    assert log.meta == {"channel": "EMAIL", "from": "DEAD", "last_error": "smtp_451"}


def test_a_message_that_is_not_dead_cannot_be_retried(system, make_customers, signed_in, branch_a):
    (customer,) = make_customers(1)
    message = _dead(system, customer, status="SENT")
    client, _admin = signed_in(R.ADMIN, branches=[branch_a])
    response = client.post(reverse("messaging:retry", args=[message.pk]), {"confirm": "yes"})
    assert response.status_code == 404
    assert Message.objects.get(pk=message.pk).status == "SENT"
