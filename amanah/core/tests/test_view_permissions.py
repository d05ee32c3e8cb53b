"""Every view: anonymous → login, no permission → 403, permitted → OK, out of scope → 404."""

from __future__ import annotations

import copy

import pytest
from django.test import Client
from django.urls import reverse

from amanah.breakglass import testing as breakglass_testing
from amanah.calendars import testing as cal_testing
from amanah.conftest import built_once_per_module, create_user, sign_in_directly
from amanah.core import routes
from amanah.core.actors import SystemActor
from amanah.core.permissions import PUBLIC, SIGNED_IN, SIGNED_REQUEST
from amanah.core.roles import RoleKey
from amanah.core.testing import ViewCase, deployment_showing_path, missing_kwargs
from amanah.customers import testing as customers_testing
from amanah.fieldops import testing as fieldops_testing
from amanah.followup import testing as followup_testing
from amanah.iam import services as iam
from amanah.iam.models import RolePermission, TimeZoneChoice
from amanah.insight import testing as insight_testing
from amanah.integrations import testing as integrations_testing
from amanah.journeys import testing as journeys_testing
from amanah.knowledge import testing as knowledge_testing
from amanah.ledger import testing as ledger_testing
from amanah.payments import testing as payments_testing
from amanah.privacy import testing as privacy_testing
from amanah.utility import testing as utility_testing

R = RoleKey

CASES = [
    ViewCase("core:home", "home.view"),
    ViewCase("surveys:dashboard", "surveys.report"),
    ViewCase(
        "surveys:branch",
        "surveys.report",
        kwargs=lambda w: {"branch_id": w["branch_a"].pk},
        out_of_scope=lambda w: {"branch_id": w["branch_b"].pk},
    ),
    ViewCase("insight:rfm_runs", "insight.rfm.run"),
    ViewCase("dashboards:director", "dashboard.director"),
    ViewCase(
        "dashboards:widget_csv",
        "dashboard.director",
        kwargs=lambda w: {"key": "cases.backlog_age"},
    ),
    ViewCase("insight:rfm_run_now", "insight.rfm.run", method="post", ok_status=(303,)),
    ViewCase("insight:nba_rules", "insight.nba_rule.view"),
    ViewCase("insight:nba_portfolio", "insight.nba.portfolio"),
    ViewCase(
        "insight:nba_rule_propose",
        "insight.nba_rule.propose",
        kwargs=lambda w: {"code": "FEATURE_ACTIVATION"},
    ),
    ViewCase(
        "insight:nba_change_move",
        "insight.nba_rule.approve",
        kwargs=insight_testing.nba_change_kwargs,
        method="post",
        data=lambda w: {"to": "REJECTED"},
        ok_status=(303,),
    ),
    ViewCase(
        "insight:nba_decide",
        "insight.nba.decide",
        kwargs=lambda w: {"customer_id": w["customer_a"].pk},
        out_of_scope=lambda w: {"customer_id": w["customer_b"].pk},
        method="post",
        data=lambda w: {"rule": "AT_RISK_RETENTION", "decision": "ACCEPTED"},
        ok_status=(303,),
    ),
    ViewCase(
        "insight:nba_outcome",
        "insight.nba.decide",
        kwargs=lambda w: {"customer_id": w["customer_a"].pk},
        out_of_scope=lambda w: {"customer_id": w["customer_b"].pk},
        method="post",
        data=lambda w: {"decision": "00000000-0000-0000-0000-000000000000", "outcome": "SUCCESS"},
        ok_status=(303,),
    ),
    ViewCase("insight:recovery_list", "insight.recovery.view"),
    ViewCase("insight:recovery_triggers", "insight.recovery.triggers"),
    ViewCase(
        "insight:recovery_trigger_update",
        "insight.recovery.triggers",
        kwargs=lambda w: {"code": "FRAUD_SCAM_CLOSE"},
        method="post",
        data=lambda w: {"action": "APOLOGY_CALL", "estimated_value": "0", "active": "on"},
        ok_status=(303,),
    ),
    ViewCase("insight:merchant_list", "insight.merchant.view"),
    ViewCase("insight:merchant_create", "insight.merchant.manage"),
    ViewCase(
        "insight:merchant_edit", "insight.merchant.manage", kwargs=insight_testing.merchant_kwargs
    ),
    ViewCase(
        "insight:merchant_deactivate",
        "insight.merchant.manage",
        kwargs=insight_testing.merchant_kwargs,
        method="post",
        ok_status=(303,),
    ),
    ViewCase(
        "insight:merchant_for_customer",
        "insight.merchant.recommend",
        kwargs=lambda w: {"customer_id": w["customer_a"].pk},
        out_of_scope=lambda w: {"customer_id": w["customer_b"].pk},
    ),
    ViewCase(
        "insight:merchant_send",
        "insight.merchant.recommend",
        kwargs=lambda w: {"customer_id": w["customer_a"].pk},
        out_of_scope=lambda w: {"customer_id": w["customer_b"].pk},
        method="post",
        data=insight_testing.merchant_send_data,
        ok_status=(303,),
    ),
    ViewCase(
        "insight:recovery_move",
        "insight.recovery.view",
        kwargs=insight_testing.recovery_kwargs,
        out_of_scope=lambda w: insight_testing.recovery_kwargs(w, "b"),
        method="post",
        data=lambda w: {"to": "SENT"},
        ok_status=(303,),
        # a supervisor sees the branch's cases (an agent only its own) and may send
        role="SUPERVISOR",
    ),
    ViewCase("api:openapi-json", "api.docs"),
    ViewCase("api:openapi-view", "api.docs"),
    ViewCase("api:api-root", "api.docs", ok_status=(302,)),
    ViewCase("audit:list", "audit.view"),
    ViewCase("audit:export", "audit.export"),
    ViewCase("audit:detail", "audit.view", kwargs=lambda w: {"event_id": _any_audit_row()}),
    ViewCase("iam:my_branches", "iam.branch.view"),
    ViewCase(
        "iam:branch_detail",
        "iam.branch.view",
        kwargs=lambda w: {"branch_id": w["branch_a"].pk},
        out_of_scope=lambda w: {"branch_id": w["branch_b"].pk},
    ),
    ViewCase("iam:user_list", "iam.user.manage"),
    ViewCase("iam:user_create", "iam.user.manage"),
    ViewCase(
        "iam:user_edit",
        "iam.user.manage",
        kwargs=lambda w: {"user_id": w["staff_a"].pk},
        out_of_scope=lambda w: {"user_id": w["staff_b"].pk},
    ),
    ViewCase(
        "iam:user_disable",
        "iam.user.manage",
        method="post",
        kwargs=lambda w: {"user_id": w["staff_a"].pk},
        out_of_scope=lambda w: {"user_id": w["staff_b"].pk},
        data=lambda w: {"reason": "pindah tugas ke cabang lain"},
        ok_status=(303,),
    ),
    ViewCase(
        "iam:user_enable",
        "iam.user.manage",
        method="post",
        kwargs=lambda w: {"user_id": w["staff_a"].pk},
        out_of_scope=lambda w: {"user_id": w["staff_b"].pk},
        ok_status=(303,),
    ),
    ViewCase(
        "iam:user_password",
        "iam.user.manage",
        method="post",
        kwargs=lambda w: {"user_id": w["staff_a"].pk},
        out_of_scope=lambda w: {"user_id": w["staff_b"].pk},
        data=lambda w: {"password": "Kata-Sandi-Baru-99"},
        ok_status=(303,),
    ),
    ViewCase(
        "iam:user_reveal_email",
        "pii.reveal",
        method="post",
        kwargs=lambda w: {"user_id": w["staff_a"].pk},
        out_of_scope=lambda w: {"user_id": w["staff_b"].pk},
        data=lambda w: {"reason": "verifikasi identitas staf"},
        role=R.ADMIN,  # staff records are reached through user management
    ),
    ViewCase(
        "iam:token_create",
        "iam.token.manage",
        method="post",
        kwargs=lambda w: {"user_id": w["staff_a"].pk},
        out_of_scope=lambda w: {"user_id": w["staff_b"].pk},
        data=lambda w: {"name": "integrasi", "role": "AGENT", "valid_days": 30},
    ),
    ViewCase(
        "iam:token_revoke",
        "iam.token.manage",
        method="post",
        kwargs=lambda w: {"user_id": w["staff_a"].pk, "token_id": w["token_a"].pk},
        out_of_scope=lambda w: {"user_id": w["staff_b"].pk, "token_id": w["token_b"].pk},
        ok_status=(303,),
    ),
    ViewCase("iam:branch_list", "iam.branch.manage"),
    ViewCase("iam:branch_create", "iam.branch.manage"),
    ViewCase(
        "iam:branch_edit",
        "iam.branch.manage",
        kwargs=lambda w: {"branch_id": w["branch_a"].pk},
        out_of_scope=lambda w: {"branch_id": w["branch_b"].pk},
    ),
    ViewCase("iam:matrix", "iam.rbac.manage"),
    ViewCase("customer360:search", "customer.search"),
    ViewCase(
        "customer360:workspace",
        "customer.view",
        kwargs=lambda w: {"customer_id": w["customer_a"].pk},
        out_of_scope=lambda w: {"customer_id": w["customer_b"].pk},
    ),
    ViewCase(
        "customer360:timeline",
        "customer.view",
        kwargs=lambda w: {"customer_id": w["customer_a"].pk},
        out_of_scope=lambda w: {"customer_id": w["customer_b"].pk},
    ),
    ViewCase(
        "customer360:change_consent",
        "consent.change",
        method="post",
        kwargs=lambda w: {"customer_id": w["customer_a"].pk},
        out_of_scope=lambda w: {"customer_id": w["customer_b"].pk},
        data=lambda w: {
            "consent_type": "MARKETING",
            "new_status": "GRANTED",
            "channel": "BRANCH",
            "verification_method": "IN_PERSON",
        },
        ok_status=(303,),
    ),
    ViewCase(
        "consent_preferences:set",
        "consent.change",
        method="post",
        kwargs=lambda w: {"customer_id": w["customer_a"].pk},
        out_of_scope=lambda w: {"customer_id": w["customer_b"].pk},
        data=lambda w: {"purpose": "COLLECTION", "channel": "WHATSAPP"},
        ok_status=(303,),
    ),
    ViewCase(
        "customer360:reveal",
        "pii.reveal",
        method="post",
        kwargs=lambda w: {"customer_id": w["customer_a"].pk, "field": "phone"},
        out_of_scope=lambda w: {"customer_id": w["customer_b"].pk, "field": "phone"},
        data=lambda w: {"reason": "konfirmasi nomor untuk pengaduan"},
    ),
    ViewCase("customers:create", "customer.manage"),
    ViewCase(
        "customers:edit",
        "customer.manage",
        kwargs=lambda w: {"customer_id": w["customer_a"].pk},
        out_of_scope=lambda w: {"customer_id": w["customer_b"].pk},
    ),
    ViewCase("customers:duplicates", "customer.duplicates.view"),
    ViewCase(
        "customers:propose_merge",
        "customer.merge.propose",
        method="post",
        kwargs=lambda w: {"flag_id": w["flag_a"].pk},
        out_of_scope=lambda w: {"flag_id": w["flag_b"].pk},
        data=lambda w: {
            "survivor": str(w["flag_a"].customer_a_id),
            "reason": "nasabah yang sama persis",
        },
        ok_status=(303,),
    ),
    ViewCase(
        "customers:dismiss_duplicate",
        "customer.duplicates.view",
        method="post",
        kwargs=lambda w: {"flag_id": w["flag_a"].pk},
        out_of_scope=lambda w: {"flag_id": w["flag_b"].pk},
        data=lambda w: {"reason": "berbeda orang, sudah dicek"},
        ok_status=(303,),
    ),
    ViewCase("cases:mine", "case.view"),
    ViewCase("cases:intake_find", "case.create.any_branch"),
    ViewCase(
        "cases:intake_create",
        "case.create.any_branch",
        # any branch's customer: no out-of-scope case; a missing one is a 404 (tested in cases)
        kwargs=lambda w: {"customer_id": w["customer_b"].pk},
    ),
    ViewCase("cases:queue", "case.queue"),
    ViewCase("cases:export", "case.export"),
    ViewCase(
        "cases:queue_assign",
        "case.assign",
        method="post",
        data=lambda w: {"assignee": str(w["staff_a"].pk), "case_ids": [str(w["case_a"].pk)]},
        ok_status=(303,),  # done, or refused per case with the reason flashed
    ),
    ViewCase(
        "cases:saved_filter_save",
        "case.queue",
        method="post",
        data=lambda w: {"name": "Belum ditugaskan", "who": "unassigned"},
        ok_status=(303,),
    ),
    ViewCase(
        "cases:saved_filter_delete",
        "case.queue",
        method="post",
        own_kwargs=lambda w, user: {"filter_id": _own_saved_filter(user)},
        kwargs=lambda w: {"filter_id": 999999},
        out_of_scope=lambda w: {"filter_id": _own_saved_filter(w["staff_b"])},  # another's
        ok_status=(303,),
    ),
    ViewCase("cases:sla_settings", "sla.manage"),
    ViewCase("cases:routing_rules", "sla.manage"),
    ViewCase("cases:routing_rule_new", "sla.manage"),
    # Routing rules are the bank's configuration (no branch scope): missing is 404, below.
    ViewCase(
        "cases:routing_rule_edit",
        "sla.manage",
        kwargs=lambda w: {"rule_id": _routing_rule(w)},
    ),
    ViewCase(
        "cases:routing_rule_active",
        "sla.manage",
        method="post",
        kwargs=lambda w: {"rule_id": _routing_rule(w)},
        data=lambda w: {"active": "0"},
        ok_status=(303,),
    ),
    ViewCase("cases:ojk_report", "case.ojk_report"),
    ViewCase("cases:ojk_report_csv", "case.ojk_report"),
    ViewCase("cases:ojk_register_csv", "case.ojk_register"),
    ViewCase(
        "cases:reveal_customer_name",
        "case.view",
        method="post",
        kwargs=lambda w: {"case_id": w["case_a"].pk},
        out_of_scope=lambda w: {"case_id": w["case_b"].pk},
        data=lambda w: {"reason": "konfirmasi nama untuk pengaduan"},
        role=R.SUPERVISOR,  # holds the reveal permission as well
    ),
    ViewCase(
        "cases:create",
        "case.create",
        kwargs=lambda w: {"customer_id": w["customer_a"].pk},
        out_of_scope=lambda w: {"customer_id": w["customer_b"].pk},
    ),
    *[
        ViewCase(
            f"cases:{name}",
            perm,
            kwargs=lambda w: {"case_id": w["case_a"].pk},
            out_of_scope=lambda w: {"case_id": w["case_b"].pk},
            role=R.SUPERVISOR,  # agents see only the cases they created or hold
        )
        for name, perm in [
            ("detail", "case.view"),
            ("receipt", "case.view"),
            ("receipt_pdf", "case.view"),
        ]
    ],
    *[
        ViewCase(
            f"cases:{name}",
            perm,
            method="post",
            kwargs=lambda w: {"case_id": w["case_a"].pk},
            out_of_scope=lambda w: {"case_id": w["case_b"].pk},
            data=data,
            ok_status=(303, 400),  # done, or refused by a business rule — never 403/404
            role=R.SUPERVISOR,
        )
        for name, perm, data in [
            ("add_note", "case.update", lambda w: {"message": "nasabah dihubungi"}),
            ("change_status", "case.update", lambda w: {"to": "IN_PROGRESS"}),
            (
                "final_response",
                "case.update",
                lambda w: {
                    "final_response": "Dana sudah dikembalikan ke rekening.",
                    "resolution_code": "REFUND",
                    "confirm": "on",
                },
            ),
            ("close", "case.close", lambda w: {"resolution_code": "REFUND", "confirm": "on"}),
            ("assign", "case.assign", lambda w: {"assignee": str(w["staff_a"].pk)}),
            ("reopen", "case.reopen", lambda w: {"reason": "nasabah belum menerima dana"}),
            (
                "cancel_duplicate",
                "case.close",
                lambda w: {"duplicate_of": "PGD-2026-000001", "confirm": "on"},
            ),
            ("escalate", "case.assign", lambda w: {"reason": "butuh unit kartu pusat"}),
            (
                "extend",
                "case.assign",
                lambda w: {"reason": "menunggu data switching", "customer_notified": "on"},
            ),
            ("root_cause", "case.root_cause", lambda w: {"root_cause": "SYSTEM_BUG"}),
            # The classifier's suggestion (none on a bank case: refused with the reason).
            ("category_decide", "case.update", lambda w: {"category": "OTHER"}),
        ]
    ],
    ViewCase(
        "messaging:case_reply",
        "case.reply",
        method="post",
        kwargs=lambda w: {"case_id": w["case_a"].pk},
        out_of_scope=lambda w: {"case_id": w["case_b"].pk},
        data=lambda w: {"channel": "EMAIL", "text": "Dana Anda sedang kami telusuri."},
        ok_status=(303,),  # sent, or refused with the reason flashed — never 403/404
        role=R.SUPERVISOR,
    ),
    *[
        ViewCase(
            f"documents:{name}",
            perm,
            method=method,
            kwargs=kwargs,
            out_of_scope=oos,
            data=data,
            ok_status=ok,
            role=R.SUPERVISOR,  # the documents of a case follow the case: agents see their own
        )
        for name, perm, method, kwargs, oos, data, ok in [
            (
                "owner",
                "document.view",
                "get",
                lambda w: {"kind": "cases.Case", "owner_id": w["case_a"].pk},
                lambda w: {"kind": "cases.Case", "owner_id": w["case_b"].pk},
                lambda w: {},
                (200,),
            ),
            (
                "upload",
                "document.upload",
                "post",
                lambda w: {"kind": "cases.Case", "owner_id": w["case_a"].pk},
                lambda w: {"kind": "cases.Case", "owner_id": w["case_b"].pk},
                lambda w: {},
                (400,),
            ),
            *[
                (
                    name,
                    perm,
                    method,
                    lambda w: {"document_id": w["document_a"].pk},
                    lambda w: {"document_id": w["document_b"].pk},
                    data,
                    ok,
                )
                for name, perm, method, data, ok in [
                    ("detail", "document.view", "get", lambda w: {}, (200,)),
                    ("add_version", "document.upload", "post", lambda w: {}, (400,)),
                    ("move", "document.view", "post", lambda w: {"to": "SUBMITTED"}, (303,)),
                    ("revert", "document.view", "post", lambda w: {"reason": "salah"}, (303,)),
                    ("sign", "document.sign", "post", lambda w: {}, (303,)),
                ]
            ],
            *[
                (
                    name,
                    "document.view",
                    method,
                    lambda w: {"version_id": w["document_a"].versions.get().pk},
                    lambda w: {"version_id": w["document_b"].versions.get().pk},
                    lambda w: {},
                    ok,
                )
                for name, method, ok in [("download", "get", (200,)), ("verify", "post", (303,))]
            ],
        ]
    ],
    ViewCase(
        "documents:legal_hold",
        "document.legal_hold",
        method="post",
        kwargs=lambda w: {"document_id": w["document_a"].pk},
        out_of_scope=lambda w: {"document_id": w["document_b"].pk},
        data=lambda w: {"hold": "1", "reason": "sengketa hukum dengan nasabah"},
        ok_status=(303,),
        role=R.SUPERVISOR,  # compliance does not see cases (their documents) by default
    ),
    ViewCase("marketing:segment_list", "segment.manage"),
    ViewCase("marketing:segment_create", "segment.manage"),
    ViewCase(
        "marketing:segment_preview",
        "segment.manage",
        method="post",
        data=lambda w: {"name": "x", "branches": "MDN01"},
    ),
    ViewCase(
        "marketing:segment_edit", "segment.manage", kwargs=lambda w: {"segment_id": w["segment"].pk}
    ),
    ViewCase("marketing:campaign_list", "campaign.view"),
    ViewCase("marketing:campaign_create", "campaign.manage"),
    ViewCase(
        "marketing:campaign_detail",
        "campaign.view",
        kwargs=lambda w: {"campaign_id": w["campaign"].pk},
    ),
    ViewCase(
        "marketing:campaign_members",
        "campaign.members.view",
        kwargs=lambda w: {"campaign_id": w["campaign"].pk},
    ),
    ViewCase(
        "marketing:campaign_abtest",
        "campaign.manage",
        kwargs=lambda w: {"campaign_id": w["campaign"].pk},
    ),
    ViewCase(
        "marketing:campaign_progress",
        "campaign.view",
        kwargs=lambda w: {"campaign_id": w["campaign"].pk},
    ),
    ViewCase(
        "marketing:campaign_action",
        "campaign.manage",
        method="post",
        kwargs=lambda w: {"campaign_id": w["campaign"].pk, "action": "submit"},
        ok_status=(303,),
    ),
    ViewCase("messaging:template_list", "message_template.view"),
    ViewCase("messaging:template_create", "message_template.manage"),
    ViewCase(
        "messaging:template_detail",
        "message_template.view",
        kwargs=lambda w: {"template_id": w["message_template"].pk},
    ),
    ViewCase(
        "messaging:template_design",
        "message_template.manage",
        kwargs=lambda w: {"template_id": w["message_template_email"].pk},
    ),
    ViewCase(
        "messaging:template_whatsapp_design",
        "message_template.manage",
        kwargs=lambda w: {"template_id": w["message_template_whatsapp"].pk},
    ),
    ViewCase("messaging:media_library", "message_template.view"),
    ViewCase(
        "messaging:media_upload",
        "message_template.manage",
        method="post",
        data=lambda w: {"name": "Titik piksel", "file": _png_upload()},
        ok_status=(303,),
    ),
    ViewCase(
        "messaging:media_withdraw",
        "message_template.manage",
        method="post",
        kwargs=lambda w: {"asset_id": w["media_asset"].pk},
        ok_status=(303,),
    ),
    ViewCase(
        "messaging:version_save",
        "message_template.manage",
        method="post",
        kwargs=lambda w: {"template_id": w["message_template"].pk},
        data=lambda w: {"text": "Kasus {{case.case_no}} diproses."},
        ok_status=(303,),
    ),
    ViewCase(
        "messaging:version_preview",
        "message_template.view",
        kwargs=lambda w: {"template_id": w["message_template"].pk, "number": 1},
    ),
    ViewCase(
        "messaging:version_action",
        "message_template.view",
        method="post",
        kwargs=lambda w: {
            "template_id": w["message_template"].pk,
            "number": 1,
            "action": "submit",
        },
        ok_status=(303,),
        role=R.MARKETING,  # submitting also takes message_template.manage
    ),
    ViewCase("notifications:inbox", "notification.view"),
    ViewCase(
        "notifications:mark_read",
        "notification.view",
        method="post",
        kwargs=lambda w: {"notification_id": w["notification_b"].pk},
        own_kwargs=lambda w, user: {"notification_id": _own_notification(user).pk},
        out_of_scope=lambda w: {"notification_id": w["notification_b"].pk},
        ok_status=(302,),
    ),
    ViewCase(
        "customers:decide_merge",
        "customer.merge.approve",
        method="post",
        kwargs=lambda w: {"request_id": w["merge_a"].pk},
        out_of_scope=lambda w: {"request_id": w["merge_b"].pk},
        data=lambda w: {"decision": "reject", "note": "perlu dicek lagi"},
        ok_status=(303,),
    ),
    ViewCase("breakglass:list", "breakglass.view"),
    ViewCase(
        "breakglass:request",
        "breakglass.request",
        method="post",
        data=lambda w: {"cif": "TIDAKADA", "reason": breakglass_testing.REASON},
        ok_status=(404,),  # an unknown CIF: the form again, with the reason next to it
    ),
    ViewCase(
        "breakglass:decide",
        "breakglass.decide",
        method="post",
        kwargs=breakglass_testing.grant_kwargs("pending_a"),
        out_of_scope=breakglass_testing.grant_kwargs("pending_b"),
        data=lambda w: {"decision": "reject", "note": "tidak perlu"},
        ok_status=(303,),
    ),
    ViewCase(
        "breakglass:review",
        "breakglass.decide",
        method="post",
        kwargs=breakglass_testing.grant_kwargs("emergency_a"),
        out_of_scope=breakglass_testing.grant_kwargs("emergency_b"),
        data=lambda w: {"note": "sesuai prosedur"},
        ok_status=(303,),
    ),
    ViewCase("dashboards:compliance", "dashboard.compliance"),
    ViewCase("privacy:dsar_list", "privacy.dsar"),
    ViewCase(
        "privacy:dsar_create",
        "privacy.dsar",
        method="post",
        data=lambda w: {"cif": "TIDAKADA", "reference": privacy_testing.REFERENCE},
        ok_status=(404,),  # an unknown CIF: the form again, with the reason next to it
    ),
    ViewCase(
        "privacy:dsar_detail",
        "privacy.dsar",
        kwargs=privacy_testing.kwargs("dsar_a", "request_id"),
        out_of_scope=privacy_testing.kwargs("dsar_b", "request_id"),
    ),
    ViewCase(
        "privacy:dsar_download",
        "privacy.dsar",
        method="post",
        kwargs=privacy_testing.kwargs("dsar_a", "request_id"),
        out_of_scope=privacy_testing.kwargs("dsar_b", "request_id"),
        data=lambda w: {"format": "json", "reason": "Permintaan akses nasabah"},
        role=R.COMPLIANCE,
    ),
    ViewCase("privacy:correction_list", "privacy.correction.review"),
    ViewCase(
        "privacy:correction_new",
        "privacy.correction.request",
        kwargs=lambda w: {"customer_id": w["customer_a"].pk},
        out_of_scope=lambda w: {"customer_id": w["customer_b"].pk},
    ),
    ViewCase(
        "privacy:correction_decide",
        "privacy.correction.review",
        method="post",
        kwargs=privacy_testing.kwargs("correction_a", "correction_id"),
        out_of_scope=privacy_testing.kwargs("correction_b", "correction_id"),
        data=lambda w: {"decision": "reject", "note": "bukti tidak cukup"},
        ok_status=(303,),
    ),
    ViewCase("privacy:breach_list", "privacy.breach.view"),
    ViewCase(
        "privacy:breach_create",
        "privacy.breach.manage",
        method="post",
        data=lambda w: {"title": "x"},
        ok_status=(400,),  # the form again, with what is missing
    ),
    ViewCase(
        "privacy:breach_notify",
        "privacy.breach.manage",
        method="post",
        kwargs=privacy_testing.kwargs("incident", "incident_id"),
        data=lambda w: {"note": "Nasabah dan Komdigi diberi tahu lewat surat resmi."},
        ok_status=(303,),
    ),
    ViewCase(
        "privacy:breach_close",
        "privacy.breach.manage",
        method="post",
        kwargs=privacy_testing.kwargs("incident", "incident_id"),
        ok_status=(303,),  # still open: refused with a message, back to the list
    ),
    ViewCase("followup:my", "followdesk.work"),
    ViewCase("followup:dashboard", "followdesk.monitor"),
    ViewCase(
        "followup:log_add",
        "followdesk.work",
        method="post",
        kwargs=followup_testing.other_member_kwargs,
        out_of_scope=followup_testing.other_member_kwargs,
        own_kwargs=followup_testing.own_member_kwargs,
        data=followup_testing.log_data,
        ok_status=(303,),
    ),
    ViewCase("calendars:list", "calendar.manage"),
    ViewCase("calendars:create", "calendar.manage"),
    ViewCase("calendars:detail", "calendar.manage", kwargs=cal_testing.default_calendar_kwargs),
    ViewCase(
        "calendars:set_windows",
        "calendar.manage",
        method="post",
        kwargs=cal_testing.default_calendar_kwargs,
        data=lambda w: {"weekday": "5", "windows": "08:00-12:00"},
        ok_status=(303,),
    ),
    ViewCase(
        "calendars:add_day",
        "calendar.manage",
        method="post",
        kwargs=cal_testing.default_calendar_kwargs,
        data=lambda w: {"date": "2026-04-17", "kind": "REGIONAL_HOLIDAY", "name": "Libur daerah"},
        ok_status=(303,),
    ),
    ViewCase(
        "calendars:remove_day",
        "calendar.manage",
        method="post",
        kwargs=cal_testing.calendar_day_kwargs,
        ok_status=(303,),
    ),
    ViewCase(
        "calendars:assign_branch",
        "calendar.manage",
        method="post",
        kwargs=lambda w: {"branch_id": w["branch_a"].pk},
        out_of_scope=lambda w: {"branch_id": w["branch_b"].pk},
        data=lambda w: {"calendar": ""},
        ok_status=(303,),
    ),
    ViewCase("sales:board", "lead.view"),
    ViewCase("sales:pipeline", "opportunity.view"),
    ViewCase("sales:followups", "followup.view"),
    ViewCase(
        "sales:lead_detail",
        "lead.view",
        kwargs=lambda w: {"lead_id": _sales(w)["lead_a"].pk},
        out_of_scope=lambda w: {"lead_id": _sales(w)["lead_b"].pk},
    ),
    ViewCase(
        "sales:lead_move",
        "lead.update",
        method="post",
        kwargs=lambda w: {"lead_id": _sales(w)["lead_a"].pk},
        out_of_scope=lambda w: {"lead_id": _sales(w)["lead_b"].pk},
        data=lambda w: {"to_status": "CONTACTED"},
        ok_status=(303,),
    ),
    ViewCase(
        "sales:lead_reopen",
        "lead.reopen",
        method="post",
        kwargs=lambda w: {"lead_id": _sales(w)["lead_a"].pk},
        out_of_scope=lambda w: {"lead_id": _sales(w)["lead_b"].pk},
        data=lambda w: {"reason": "salah klik di papan"},
        ok_status=(303,),
    ),
    ViewCase("workflow:list", "workflow.view"),
    ViewCase(
        "workflow:transition_edit",
        "workflow.manage",
        method="post",
        kwargs=lambda w: {"transition_id": _any_transition()},
        data=lambda w: {"permission": "lead.update", "enabled": "1"},
        ok_status=(303,),
    ),
    *[
        ViewCase(
            f"sales:{name}",
            perm,
            kwargs=lambda w: {"customer_id": w["customer_a"].pk},
            out_of_scope=lambda w: {"customer_id": w["customer_b"].pk},
        )
        for name, perm in [
            ("lead_create", "lead.create"),
            ("activity_log", "sales.activity.log"),
            ("opportunity_create", "opportunity.manage"),
        ]
    ],
    ViewCase(
        "sales:opportunity_move",
        "opportunity.manage",
        method="post",
        kwargs=lambda w: {"opportunity_id": _sales(w)["opportunity_a"].pk},
        out_of_scope=lambda w: {"opportunity_id": _sales(w)["opportunity_b"].pk},
        data=lambda w: {"to_stage": "QUALIFIED"},
        ok_status=(303,),
    ),
    ViewCase("messaging:dead_letters", "message.view"),
    ViewCase("messaging:analytics", "message.view"),
    ViewCase(
        "messaging:customer_messages",
        "message.view_customer",
        kwargs=lambda w: {"customer_id": w["customer_a"].pk},
        out_of_scope=lambda w: {"customer_id": w["customer_b"].pk},
    ),
    ViewCase(
        "messaging:retry",
        "message.retry",
        kwargs=lambda w: {"message_id": _dead_letter(w, "a").pk},
        out_of_scope=lambda w: {"message_id": _dead_letter(w, "b").pk},
    ),
    ViewCase(
        "messaging:retry",
        "message.retry",
        method="post",
        kwargs=lambda w: {"message_id": _dead_letter(w, "a").pk},
        out_of_scope=lambda w: {"message_id": _dead_letter(w, "b").pk},
        data=lambda w: {"confirm": "yes"},
        ok_status=(303,),
    ),
    ViewCase(
        "sales:followup_complete",
        "followup.complete",
        method="post",
        kwargs=lambda w: {"task_id": _sales(w)["task_a"].pk},
        out_of_scope=lambda w: {"task_id": _sales(w)["task_b"].pk},
        data=lambda w: {"outcome": "SKIPPED", "reason": "nasabah tidak dapat dihubungi"},
        ok_status=(303,),
        role=R.SUPERVISOR,  # agents see only the tasks given to them
    ),
    *customers_testing.VIEW_CASES,
    *integrations_testing.VIEW_CASES,
    *journeys_testing.VIEW_CASES,
    *knowledge_testing.VIEW_CASES,
    *ledger_testing.VIEW_CASES,
    *followup_testing.VIEW_CASES,
    *fieldops_testing.VIEW_CASES,
    *payments_testing.VIEW_CASES,
    *utility_testing.VIEW_CASES,
]


@pytest.fixture(scope="module")
def _built_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once for the module's ~870 tests rather than once per test (it took
    most of each test's time): ``conftest.built_once_per_module``. Its documents are stored
    in a folder of its own."""
    folder = tmp_path_factory.mktemp("view-permissions")
    build = lambda: _world(SystemActor("system:test"))  # noqa: E731
    for world in built_once_per_module(build, django_db_blocker, folder):
        yield world, folder


@pytest.fixture(autouse=True)
def _document_storage_of_its_own(settings, _built_world):
    # the world's documents (document_a/b) are in the module's folder
    settings.DOCUMENTS_STORAGE_DIR = _built_world[1] / "documents"


@pytest.fixture
def world(db, _built_world):
    """The module's world, a copy per test: cases that build something on first use
    (``_routing_rule``, ``_sales`` …) add it to the test's copy, rolled back with the test."""
    return copy.deepcopy(_built_world[0])


def _world(system) -> dict:
    branch_a = iam.branch_save(
        actor=system, code="MDN01", name="KC Medan", timezone_name=TimeZoneChoice.WIB
    )
    branch_b = iam.branch_save(
        actor=system, code="PMS01", name="KC Pematangsiantar", timezone_name=TimeZoneChoice.WIB
    )

    def make_user(*roles, **fields):
        return create_user(system, *roles, **fields)

    staff_a = make_user(R.AGENT, branches=[branch_a], email="staf.a@bank.co.id")
    staff_b = make_user(R.AGENT, branches=[branch_b], email="staf.b@bank.co.id")
    token_a, _ = iam.api_token_create(actor=system, user=staff_a, role="AGENT", name="a")
    token_b, _ = iam.api_token_create(actor=system, user=staff_b, role="AGENT", name="b")
    world = {
        "branch_a": branch_a,
        "branch_b": branch_b,
        "staff_a": staff_a,
        "staff_b": staff_b,
        "token_a": token_a,
        "token_b": token_b,
    }
    world.update(_customer_world(system, branch_a, branch_b, make_user))
    return world


def _customer_world(system, branch_a, branch_b, make_user) -> dict:
    from amanah.customers import merge
    from amanah.customers.models import DuplicateFlag
    from amanah.customers.services import CustomerInput, customer_create

    def pair(branch, phone):
        people = [
            customer_create(
                actor=system,
                data=CustomerInput(full_name="Rina Lubis", home_branch=branch, phone=phone),
            )
            for _ in range(2)
        ]
        return (*people, DuplicateFlag.objects.get(customer_a__in=people, customer_b__in=people))

    a1, a2, flag_a = pair(branch_a, "081311110001")
    b1, b2, flag_b = pair(branch_b, "081311110002")
    proposer = make_user(R.SUPERVISOR, branches=[branch_a, branch_b])
    merge_a = merge.merge_propose(
        actor=proposer, survivor=a1, absorbed=a2, reason="data ganda dari impor"
    )
    merge_b = merge.merge_propose(
        actor=proposer, survivor=b1, absorbed=b2, reason="data ganda dari impor"
    )
    return {
        **_case_world(system, a1, b1, make_user),
        **_marketing_world(system),
        **_messaging_world(system),
        "customer_a": a1,
        "customer_b": b1,
        "flag_a": flag_a,
        "flag_b": flag_b,
        "merge_a": merge_a,
        "merge_b": merge_b,
    }


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\nIDATx\x9cc\x00\x01\x00\x00\x05\x00\x01\r\n-\xb4\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _case_world(system, customer_a, customer_b, make_user) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from amanah.cases import services as cases
    from amanah.notifications.models import Notification

    def case_of(customer):
        return cases.case_create(
            actor=system,
            data=cases.CaseInput(
                customer=customer,
                channel="BRANCH",
                category_code="TRX_FAIL",
                priority="MEDIUM",
                description="Transfer gagal tetapi saldo terpotong.",
            ),
        )

    case_a, case_b = case_of(customer_a), case_of(customer_b)
    stranger = make_user(R.AGENT)
    note = Notification.objects.create(user=stranger, title="x", dedupe_key="test:b")
    from amanah.documents import services as documents

    def document_of(case):
        return documents.document_create(
            actor=system,
            data=documents.DocumentInput("cases.Case", str(case.pk), "Bukti", "EVIDENCE"),
            upload=SimpleUploadedFile("bukti.png", PNG),
        )

    return {
        "case_a": case_a,
        "case_b": case_b,
        "document_a": document_of(case_a),
        "document_b": document_of(case_b),
        "notification_b": note,
    }


def _marketing_world(system) -> dict:
    from amanah.marketing import services as marketing

    segment = marketing.segment_create(actor=system, name="Penabung", rules={"all": []})
    campaign = marketing.campaign_create(
        actor=system,
        name="Edukasi",
        segment=segment,
        channel="EMAIL",
        message="Pesan edukasi nasabah.",
    )
    return {"segment": segment, "campaign": campaign}


def _messaging_world(system) -> dict:
    from amanah.messaging import media, template_services

    template = template_services.template_create(
        actor=system,
        key="case.status",
        channel="SMS",
        purpose="SERVICE",
        name="Kabar kasus",
        text="Kasus {{case.case_no}}: {{case.status}}",
    )
    email = template_services.template_create(
        actor=system,
        key="case.status",
        channel="EMAIL",
        purpose="SERVICE",
        name="Kabar kasus (email)",
        subject="Kasus {{case.case_no}}",
        text="Kasus {{case.case_no}}: {{case.status}}",
    )
    whatsapp = template_services.template_create(
        actor=system,
        key="promo.wa",
        channel="WHATSAPP",
        purpose="OFFER",
        name="Promo WhatsApp",
        category="MARKETING",
        provider_template="promo_wa",
        text="Halo {{customer.first_name}}, ada promo.",
    )
    asset = media.media_upload(actor=system, name="Titik piksel", upload=_png_upload())
    return {
        "message_template": template,
        "message_template_email": email,
        "message_template_whatsapp": whatsapp,
        "media_asset": asset,
    }


def _png_upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("titik.png", PNG, content_type="image/png")


def _routing_rule(w: dict) -> int:
    """A routing rule giving branch A's cases to its agent (built on first use)."""
    if "routing_rule" not in w:
        from amanah.cases import routing

        w["routing_rule"] = routing.routing_rule_save(
            actor=SystemActor("system:test"),
            data=routing.RuleInput(
                name="Cabang A",
                branch_code=w["branch_a"].code,
                members=(routing.MemberInput(w["staff_a"].pk),),
            ),
        ).pk
    return w["routing_rule"]


def _own_notification(user):
    from amanah.notifications.models import Notification

    return Notification.objects.create(user=user, title="Kasus ditugaskan", dedupe_key="test:own")


def _call(client: Client, case: ViewCase, world: dict, kwargs: dict):
    """The case's request, as a deployment that shows its page (the PDAM's water pages are
    hidden in the bank: ``core/tests/test_profile_hiding.py``)."""
    url = reverse(case.url_name, kwargs=kwargs)
    with deployment_showing_path(url):
        if case.method == "post":
            return client.post(url, case.data(world))
        return client.get(url)


def test_every_guarded_route_has_a_case():
    unguarded = (PUBLIC, SIGNED_IN, SIGNED_REQUEST)  # signed requests: messaging's own tests
    guarded = {r.name for r in routes.url_routes() if r.permission not in unguarded}
    covered = {c.url_name for c in CASES}
    assert guarded - covered == set()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_anonymous_is_sent_to_login(case, world, client):
    response = _call(client, case, world, case.kwargs(world))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("iam:login"))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_without_permission_is_forbidden(case, world, make_user):
    # The same role that passes below, with only this one grant taken out of the matrix.
    user = make_user(case.permitted_role(), branches=[world["branch_a"]])
    RolePermission.objects.filter(permission=case.permission).delete()
    response = _call(sign_in_directly(Client(), user), case, world, case.kwargs(world))
    assert response.status_code == 403


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_with_permission_is_allowed(case, world, make_user):
    user = make_user(case.permitted_role(), branches=[world["branch_a"]])
    kwargs = case.own_kwargs(world, user) if case.own_kwargs else case.kwargs(world)
    response = _call(sign_in_directly(Client(), user), case, world, kwargs)
    assert response.status_code in case.ok_status


@pytest.mark.parametrize("case", [c for c in CASES if c.out_of_scope], ids=lambda c: c.id)
def test_out_of_scope_is_not_found(case, world, make_user):
    user = make_user(case.permitted_role(), branches=[world["branch_a"]])
    response = _call(sign_in_directly(Client(), user), case, world, case.out_of_scope(world))
    assert response.status_code == 404


@pytest.mark.parametrize("case", [c for c in CASES if c.out_of_scope], ids=lambda c: c.id)
def test_missing_object_is_not_found_too(case, world, make_user):
    user = make_user(case.permitted_role(), branches=[world["branch_a"]])
    kwargs = missing_kwargs(case.kwargs(world))  # same shape, pointing at nothing
    response = _call(sign_in_directly(Client(), user), case, world, kwargs)
    assert response.status_code == 404


def _dead_letter(w: dict, key: str):
    """A message to the branch's customer that ended DEAD (built on first use)."""
    if f"dead_{key}" not in w:
        from amanah.messaging.contract import Rendered, message_queue
        from amanah.messaging.models import Message

        message = message_queue(
            actor=SystemActor("system:test"),
            channel="EMAIL",
            purpose="SERVICE",
            rendered=Rendered(subject="Tanda terima", text="Pengaduan diterima."),
            source="CASE",
            source_id=f"view-{key}",
            customer=w[f"customer_{key}"],
            address=f"nasabah.{key}@contoh.co.id",
        )
        Message.objects.filter(pk=message.pk).update(status="DEAD", attempts=6)
        w[f"dead_{key}"] = message
    return w[f"dead_{key}"]


def _sales(w: dict) -> dict:
    """A lead, an opportunity and a follow-up task per branch, each with an RM of that branch;
    built on first use so the other view checks do not pay for it."""
    if "sales" not in w:
        from amanah.conftest import PASSWORD
        from amanah.sales import services as sales
        from amanah.sales.models import FollowUpTask

        system = SystemActor("system:test")
        built = {}
        for key in ("a", "b"):
            branch, customer = w[f"branch_{key}"], w[f"customer_{key}"]
            iam.user_create(
                actor=system,
                username=f"rm_view_{key}",
                full_name="RM Uji",
                password=PASSWORD,
                roles=["RM"],
                scopes=[iam.ScopeInput(branch=branch)],
                home_branch=branch,
            )
            built[f"lead_{key}"] = sales.lead_create(
                actor=system, customer=customer, source_type="MANUAL"
            )
            built[f"opportunity_{key}"] = sales.opportunity_create(
                actor=system, customer=customer, product_interest="KPR", estimated_value=1_000_000
            )
            built[f"task_{key}"] = FollowUpTask.objects.create(
                case=w[f"case_{key}"], customer=customer, branch=branch, template="EDUCATION"
            )
        w["sales"] = built
    return w["sales"]


def _own_saved_filter(user) -> int:
    from amanah.cases.models import SavedQueueFilter

    row, _ = SavedQueueFilter.objects.get_or_create(user=user, name="uji", query={"who": "mine"})
    return row.pk


def _any_audit_row() -> int:
    from amanah.audit.models import AuditLog

    return AuditLog.objects.order_by("-id").values_list("id", flat=True).first()


def _any_transition() -> int:
    from amanah.workflow.models import Transition

    return Transition.objects.filter(workflow__key="sales.lead").values_list("pk", flat=True)[0]
