"""The media library page (WhatsApp template headers) and the signed link the provider
fetches. Writes are one service call each (``messaging.media``)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.errors import ServiceError
from amanah.core.permissions import PUBLIC
from amanah.core.view_helpers import Done, run_action, submit_form
from amanah.core.views import requires
from amanah.documents.contract import document_content
from amanah.iam import authz
from amanah.messaging import media
from amanah.messaging.forms_templates import MediaUploadForm
from amanah.messaging.models import MediaAsset
from amanah.messaging.policies import TEMPLATE_MANAGE, TEMPLATE_VIEW


def _context(request, form) -> dict:
    assets = MediaAsset.objects.visible_to(request.user).select_related("created_by")
    return {
        "assets": [{"asset": a, "path": media.path(a.pk, media.file_name(a))} for a in assets],
        "form": form,
        "can_manage": authz.has_perm(request.user, TEMPLATE_MANAGE),
        "accept": media.ACCEPT,
        "image_mb": media.IMAGE_MAX_BYTES // 2**20,
    }


@requires(TEMPLATE_VIEW)
def media_library(request):
    return render(request, "messaging/media_library.html", _context(request, MediaUploadForm()))


@requires(TEMPLATE_MANAGE)
@require_POST
def media_upload(request):
    form = MediaUploadForm(request.POST, request.FILES)

    def submit(data) -> Done:
        asset = media.media_upload(actor=request.user, name=data["name"], upload=data["file"])
        return Done(reverse("messaging:media_library"), _("Media “%s” disimpan.") % asset.name)

    return submit_form(
        request,
        form,
        submit,
        template="messaging/media_library.html",
        context=lambda: _context(request, form),
    )


@requires(TEMPLATE_MANAGE)
@require_POST
def media_withdraw(request, asset_id):
    def act() -> str:
        media.media_withdraw(actor=request.user, asset_id=asset_id)
        return _("Media ditarik dari pustaka.")

    return run_action(request, act, back=reverse("messaging:media_library"))


@requires(PUBLIC)
def media_file(request, token: str, filename: str):
    """The file behind a signed link (the provider fetches a header's medium here)."""
    asset = media.asset_of_token(token)
    if asset is None:
        raise Http404
    try:
        content = document_content(asset.document)
    except ServiceError:  # purged or failing its checks: never other bytes
        raise Http404 from None
    response = HttpResponse(content, content_type=asset.content_type)
    response["Content-Disposition"] = f'inline; filename="{media.file_name(asset)}"'
    response["Cache-Control"] = "public, max-age=3600"
    return response
