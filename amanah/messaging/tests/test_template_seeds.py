"""The demo's templates: all approved, offers by someone other than their author, and each
renders with the context its sender supplies."""

from __future__ import annotations

from datetime import UTC, datetime

from amanah.core.roles import RoleKey as R
from amanah.messaging import templating
from amanah.messaging.models import TemplateVersion
from amanah.messaging.template_seeds import SEEDS, seed_templates


def test_every_seed_template_is_approved_and_renders(make_user, branch_a):
    author, approver = make_user(R.MARKETING), make_user(R.COMPLIANCE)
    assert len(seed_templates(author=author, approver=approver)) == len(SEEDS)
    assert seed_templates(author=author, approver=approver) == []  # idempotent
    customer = type("P", (), {"full_name": "Budi <Santoso>"})()
    case = type(
        "K",
        (),
        {
            "case_no": "CMP-2026-000042",
            "get_status_display": lambda self: "Diproses",
            "sla_due_at": datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
            "branch": branch_a,
            "final_response": "Dana telah dikembalikan.",
        },
    )()
    context = {
        "customer": customer,
        "case": case,
        "campaign": type("C", (), {"name": "Tabungan Emas"})(),
        "promo": {"code": "EMAS26"},
        "sla_digest": {"breached_count": 2, "warning_count": 5, "summary": "2 kasus terlambat"},
        "survey": {"url": "https://bank.test/survei/abc", "question": "Seberapa puas Anda?"},
        "reply": {"text": "Dana Anda sedang kami telusuri."},
    }
    for seed in SEEDS:
        version = templating.approved_version(seed["key"], seed["channel"])
        rendered = templating.render(version, context)
        assert "{{" not in rendered.text
        if seed["purpose"] == "OFFER":
            assert version.approver_id == approver.pk != version.author_id
        if seed["channel"] == "WHATSAPP":
            assert rendered.parameters and rendered.provider_template == seed["provider_template"]
    receipt = templating.render(templating.approved_version("case.receipt", "EMAIL"), context)
    assert "01-12-2026 17:00 WIB" in receipt.text  # the branch's zone, named
    assert "Budi &lt;Santoso&gt;" in receipt.html and "Budi <Santoso>" in receipt.text
    assert TemplateVersion.objects.filter(status="APPROVED").count() == len(SEEDS)
    reply = templating.render(templating.approved_version("case.reply", "WHATSAPP"), context)
    assert reply.parameters[-1] == "Dana Anda sedang kami telusuri."  # the agent's text
