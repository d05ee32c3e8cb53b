"""Document pages: an owner's panel (list, upload), a document (versions, approval, signature
verification, sign), downloads (a reason first for sensitive types). Every route declares its
permission; the services decide scope (missing and out of scope: 404)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.errors import ServiceError
from amanah.core.view_helpers import Done, run_action, submit_form
from amanah.core.views import requires
from amanah.documents import selectors, services, signing
from amanah.documents.doctypes import type_of
from amanah.documents.forms import (
    DecisionForm,
    DocumentForm,
    LegalHoldForm,
    ReasonForm,
    VersionForm,
)
from amanah.documents.owners import owner_kind
from amanah.documents.policies import (
    DOCUMENT_LEGAL_HOLD,
    DOCUMENT_SIGN,
    DOCUMENT_UPLOAD,
    DOCUMENT_VIEW,
)
from amanah.iam import authz
from amanah.workflow.contract import available_revert, available_transitions, history_for


def _panel_context(request, kind, owner, form=None):
    return {
        "kind": owner_kind(kind),
        "kind_key": kind,
        "owner": owner,
        "owner_url": owner_kind(kind).url(owner) if owner_kind(kind).url else "",
        "owner_name": owner_kind(kind).describe(owner),
        "documents": selectors.documents_of(request.user, kind, owner),
        "form": form or DocumentForm(),
        "may_upload": authz.has_perm(request.user, DOCUMENT_UPLOAD),
    }


@requires(DOCUMENT_VIEW)
def owner_panel(request, kind, owner_id):
    owner = selectors.owner_for(request.user, kind, owner_id)
    return render(request, "documents/owner.html", _panel_context(request, kind, owner))


def _with_file(request, data: dict) -> dict:
    file = request.FILES.get("file")
    if file is None:
        raise ServiceError("file_required", _("Pilih berkas."), field="file")
    return {**data, "file": file}


@requires(DOCUMENT_UPLOAD)
@require_POST
def upload(request, kind, owner_id):
    owner = selectors.owner_for(request.user, kind, owner_id)
    form = DocumentForm(request.POST, request.FILES)

    def submit(data):
        document = services.document_create(
            actor=request.user,
            data=services.DocumentInput(
                owner_kind=kind,
                owner_id=str(owner.pk),
                title=data["title"],
                doc_type=data["doc_type"],
                retention=data["retention"],
            ),
            upload=_with_file(request, data)["file"],
        )
        return Done(reverse("documents:detail", args=[document.pk]), _("Dokumen diunggah."))

    return submit_form(
        request,
        form,
        submit,
        template="documents/owner.html",
        context=lambda: _panel_context(request, kind, owner, form),
    )


def _signatures(version) -> list[dict]:
    """A version's signatures for the page: the signing time as a datetime, shown in the
    reader's zone like every time (stored as ISO text in the JSON detail)."""
    shown = []
    for signature in (version.signature_detail or {}).get("signatures", []):
        try:
            signed_at = datetime.fromisoformat(signature.get("signed_at") or "")
        except (TypeError, ValueError):
            signed_at = None
        shown.append({**signature, "signed_at": signed_at})
    return shown


def _detail_context(request, document, **forms):
    kind = owner_kind(document.owner_kind)
    versions = selectors.versions_of(document)
    for version in versions:
        version.signatures = _signatures(version)
    return {
        "document": document,
        "doc_type": type_of(document.doc_type),
        "kind": kind,
        "owner_url": reverse("documents:owner", args=[document.owner_kind, document.owner_id]),
        "versions": versions,
        "history": history_for(request.user, document),
        "may_upload": authz.has_perm(request.user, DOCUMENT_UPLOAD)
        and document.status == "DRAFT"
        and document.purged_at is None
        and not document.is_generated,
        "may_sign": authz.has_perm(request.user, DOCUMENT_SIGN)
        and document.status == "DRAFT"
        and document.purged_at is None
        and not document.is_generated
        and signing.configured(),
        "may_hold": authz.has_perm(request.user, DOCUMENT_LEGAL_HOLD)
        and document.purged_at is None,
        "moves": [] if document.purged_at else available_transitions(request.user, document),
        "revert": None if document.purged_at else available_revert(request.user, document),
        "version_form": forms.get("version_form") or VersionForm(),
        "reason_form": forms.get("reason_form") or ReasonForm(),
    }


@requires(DOCUMENT_VIEW)
def detail(request, document_id):
    document = selectors.document_get(request.user, document_id)
    return render(request, "documents/detail.html", _detail_context(request, document))


@requires(DOCUMENT_UPLOAD)
@require_POST
def add_version(request, document_id):
    document = selectors.document_get(request.user, document_id)
    form = VersionForm(request.POST, request.FILES)
    back = reverse("documents:detail", args=[document.pk])

    def submit(data):
        services.version_add(
            actor=request.user, document=document, upload=_with_file(request, data)["file"]
        )
        return Done(back, _("Versi baru disimpan."))

    return submit_form(
        request,
        form,
        submit,
        template="documents/detail.html",
        context=lambda: _detail_context(
            request, selectors.document_get(request.user, document_id), version_form=form
        ),
    )


@requires(DOCUMENT_VIEW)
@require_POST
def move(request, document_id):
    """One workflow move; the engine checks the move's own permission and guard."""
    document = selectors.document_get(request.user, document_id)
    form = DecisionForm(request.POST)
    back = reverse("documents:detail", args=[document.pk])

    def act():
        to = form.cleaned_data["to"]
        if to in ("APPROVED", "REJECTED"):
            services.document_decide(
                actor=request.user,
                document=document,
                approve=to == "APPROVED",
                reason=form.cleaned_data["decision_reason"],
            )
        elif to == "SUBMITTED":
            services.document_submit(actor=request.user, document=document)
        else:
            services.document_rework(actor=request.user, document=document)
        return _("Status dokumen diperbarui.")

    return run_action(request, act, back=back, form=form)


@requires(DOCUMENT_VIEW)
@require_POST
def revert(request, document_id):
    document = selectors.document_get(request.user, document_id)
    form = ReasonForm(request.POST)
    back = reverse("documents:detail", args=[document.pk])

    def act():
        services.document_revert(
            actor=request.user, document=document, reason=form.cleaned_data["reason"]
        )
        return _("Keputusan dibatalkan.")

    return run_action(request, act, back=back, form=form)


@requires(DOCUMENT_LEGAL_HOLD)
@require_POST
def legal_hold(request, document_id):
    """Place or release a legal hold (the retention purge never takes a held document)."""
    document = selectors.document_get(request.user, document_id)
    form = LegalHoldForm(request.POST)
    back = reverse("documents:detail", args=[document.pk])

    def act():
        hold = form.cleaned_data["hold"]
        services.document_legal_hold(
            actor=request.user, document=document, hold=hold, reason=form.cleaned_data["reason"]
        )
        return _("Dokumen ditahan dari pemusnahan.") if hold else _("Legal hold dilepas.")

    return run_action(request, act, back=back, form=form)


@requires(DOCUMENT_SIGN)
@require_POST
def sign(request, document_id):
    document = selectors.document_get(request.user, document_id)
    back = reverse("documents:detail", args=[document.pk])

    def act():
        services.document_sign(actor=request.user, document=document)
        return _("PDF ditandatangani; tersimpan sebagai versi baru.")

    return run_action(request, act, back=back)


@requires(DOCUMENT_VIEW)
@require_POST
def verify(request, version_id):
    version = services.version_for(request.user, version_id)
    back = reverse("documents:detail", args=[version.document_id])

    def act():
        checked = services.version_verify(actor=request.user, version_id=version.pk)
        return _("Tanda tangan diperiksa: %(status)s.") % {
            "status": checked.get_signature_status_display()
        }

    return run_action(request, act, back=back)


def _file_response(version, data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type=version.content_type)
    response["Content-Disposition"] = content_disposition_header(True, version.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@requires(DOCUMENT_VIEW)
def download(request, version_id):
    """GET downloads; a sensitive type first asks for a reason (the form POSTs it here)."""
    version = services.version_for(request.user, version_id)
    back = reverse("documents:detail", args=[version.document_id])
    sensitive = type_of(version.document.doc_type).sensitive
    if sensitive and request.method != "POST":
        return render(
            request,
            "documents/reason.html",
            {"version": version, "form": ReasonForm(), "back": back},
        )
    form = ReasonForm(request.POST) if sensitive else None

    def act():
        reason = form.cleaned_data["reason"] if form is not None else ""
        checked, data = services.version_download(
            actor=request.user, version_id=version.pk, reason=reason
        )
        return _file_response(checked, data)

    return run_action(request, act, back=back, form=form)
