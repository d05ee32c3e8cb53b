"""Template pages: the list, a new template, a template with its versions (edit the draft,
preview, submit, approve/reject). Every write is one service call; reads go through
``visible_to(actor)``, so a template out of reach answers 404 like a missing one."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from amanah.core.errors import NotFound
from amanah.core.view_helpers import Done, run_action, submit_form
from amanah.core.views import requires
from amanah.customers.models import Customer
from amanah.iam import authz
from amanah.messaging import media, templating, whatsapp_design
from amanah.messaging import template_services as services
from amanah.messaging.channels import Channel
from amanah.messaging.forms_templates import (
    DecisionForm,
    DesignForm,
    PreviewForm,
    TemplateForm,
    VersionForm,
    WhatsAppDesignForm,
)
from amanah.messaging.models import MessageTemplate, TemplateVersion, VersionStatus
from amanah.messaging.policies import TEMPLATE_MANAGE, TEMPLATE_VIEW
from amanah.workflow.contract import available_transitions


def _template(actor, template_id: int) -> MessageTemplate:
    template = MessageTemplate.objects.visible_to(actor).filter(pk=template_id).first()
    if template is None:
        raise NotFound()
    return template


def _version(actor, template: MessageTemplate, number: int) -> TemplateVersion:
    version = (
        TemplateVersion.objects.visible_to(actor)
        .select_related("template", "author", "approver")
        .filter(template=template, number=number)
        .first()
    )
    if version is None:
        raise NotFound()
    return version


@requires(TEMPLATE_VIEW)
def template_list(request):
    templates = MessageTemplate.objects.visible_to(request.user).prefetch_related(
        Prefetch("versions", queryset=TemplateVersion.objects.order_by("-number"))
    )
    rows = [
        {
            "template": t,
            "latest": next(iter(t.versions.all()), None),
            "approved": next((v for v in t.versions.all() if v.status == "APPROVED"), None),
        }
        for t in templates
    ]
    return render(
        request,
        "messaging/templates.html",
        {"rows": rows, "can_manage": authz.has_perm(request.user, TEMPLATE_MANAGE)},
    )


@requires(TEMPLATE_MANAGE)
def template_create(request):
    form = TemplateForm(request.POST or None)

    def submit(data) -> Done:
        template = services.template_create(actor=request.user, **data)
        return Done(
            reverse("messaging:template_detail", args=[template.pk]), _("Templat disimpan.")
        )

    return submit_form(request, form, submit, template="messaging/template_form.html", context={})


ACTION_FOR = {
    VersionStatus.PENDING_APPROVAL: "submit",
    VersionStatus.APPROVED: "approve",
    VersionStatus.REJECTED: "reject",
}


def _moves(actor, version: TemplateVersion | None) -> list[tuple[str, str]]:
    """(action, label) of the buttons to show. Four eyes hides the decision from those who
    wrote the version (the engine's guard refuses it anyway)."""
    if version is None:
        return []
    hide_decision = services.needs_four_eyes(version) and services.is_editor(version, actor)
    return [
        (ACTION_FOR[move.to_status], move.label)
        for move in available_transitions(actor, version)
        if move.to_status in ACTION_FOR
        and not (hide_decision and move.to_status != VersionStatus.PENDING_APPROVAL)
    ]


def _detail_context(request, template: MessageTemplate, form=None) -> dict:
    actor = request.user
    versions = list(
        TemplateVersion.objects.visible_to(actor)
        .filter(template=template)
        .select_related("author", "approver")
        .order_by("-number")
    )
    latest = versions[0] if versions else None
    can_manage = authz.has_perm(actor, TEMPLATE_MANAGE)
    editable = latest is not None and latest.status == VersionStatus.DRAFT
    if form is None and can_manage:
        form = VersionForm(
            initial={"subject": latest.subject, "text": latest.text, "html": latest.html}
            if latest
            else None
        )
    return {
        "template": template,
        "versions": versions,
        "latest": latest,
        "form": form,
        "can_edit": can_manage and latest is not None and latest.status != "PENDING_APPROVAL",
        "editable_draft": editable,
        "moves": _moves(actor, latest),
        "decision_form": DecisionForm(),
        "variables": templating.variables_for(template.purpose),
        "is_whatsapp": template.channel == Channel.WHATSAPP,
        "is_email": template.channel == Channel.EMAIL,
    }


@requires(TEMPLATE_VIEW)
def template_detail(request, template_id: int):
    template = _template(request.user, template_id)
    return render(request, "messaging/template_detail.html", _detail_context(request, template))


@requires(TEMPLATE_MANAGE)
@require_POST
def version_save(request, template_id: int):
    """Save the draft (a new version when the latest is no longer a draft)."""
    template = _template(request.user, template_id)
    form = VersionForm(request.POST)

    def submit(data) -> Done:
        version = services.template_version_save(actor=request.user, template=template, **data)
        return Done(
            reverse("messaging:template_detail", args=[template.pk]),
            _("Draf versi %d disimpan.") % version.number,
        )

    return submit_form(
        request,
        form,
        submit,
        template="messaging/template_detail.html",
        context=lambda: _detail_context(request, template, form),
    )


def _latest(actor, template: MessageTemplate) -> TemplateVersion | None:
    return (
        TemplateVersion.objects.visible_to(actor).filter(template=template).order_by("-number")
    ).first()


def _designed(page: str, version: TemplateVersion) -> Done:
    """A designer's save: back to the same designer, the draft's number said."""
    return Done(
        reverse(page, args=[version.template_id]),
        _("Draf versi %d disimpan dari desainer.") % version.number,
    )


@requires(TEMPLATE_MANAGE)
def template_design(request, template_id: int):
    """The email designer (seed 001 §6E): blocks in, responsive HTML out, saved as the draft;
    the page shows the latest version at phone width with sample values."""
    actor = request.user
    template = _template(actor, template_id)
    if template.channel != Channel.EMAIL:
        raise Http404()
    latest = _latest(actor, template)
    form = DesignForm(request.POST or None, initial=DesignForm.initial_from(latest))

    def submit(data) -> Done:
        version = services.template_version_design(
            actor=actor, template=template, subject=data["subject"], blocks=form.blocks()
        )
        return _designed("messaging:template_design", version)

    def context() -> dict:
        shown = _latest(actor, template)
        return {
            "template": template,
            "form": form,
            "version": shown,
            "rendered": templating.preview(shown) if shown and shown.html else None,
            "variables": templating.variables_for(template.purpose),
        }

    return submit_form(
        request, form, submit, template="messaging/template_design.html", context=context
    )


def whatsapp_preview(version: TemplateVersion | None) -> dict | None:
    """The phone-width bubble of a WhatsApp version with sample values, and the components
    as Meta reviews them (``{{1}}`` … with examples)."""
    if version is None:
        return None
    sample = templating.preview_lookup()
    return {
        "bubble": whatsapp_design.bubble(version.blocks, templating.preview(version).text, sample),
        "provider_components": whatsapp_design.provider_components(version.blocks, sample),
    }


@requires(TEMPLATE_MANAGE)
def template_whatsapp_design(request, template_id: int):
    """The WhatsApp designer (seed 001 §6E): header (text or a medium from the library),
    body, footer, buttons; saved as the draft; the latest version drawn at phone width."""
    actor = request.user
    template = _template(actor, template_id)
    if template.channel != Channel.WHATSAPP:
        raise Http404()
    assets = list(media.offered(actor))
    form = WhatsAppDesignForm(
        request.POST or None,
        initial=WhatsAppDesignForm.initial_from(_latest(actor, template)),
        media_choices=[(str(a.pk), f"{a.name} ({a.get_kind_display()})") for a in assets],
    )

    def submit(data) -> Done:
        version = services.template_version_whatsapp_design(
            actor=actor, template=template, components=form.components()
        )
        return _designed("messaging:template_whatsapp_design", version)

    def context() -> dict:
        shown = _latest(actor, template)
        return {
            "template": template,
            "form": form,
            "version": shown,
            "preview": whatsapp_preview(shown),
            "variables": templating.variables_for(template.purpose),
            "live": {  # what the page's script needs to redraw the bubble while typing
                "samples": {
                    k: str(v.sample) for k, v in templating.variables_for(template.purpose)
                },
                "media": {
                    str(a.pk): {"kind": a.kind, "path": media.path(a.pk, media.file_name(a))}
                    for a in assets
                },
            },
        }

    return submit_form(
        request, form, submit, template="messaging/template_whatsapp_design.html", context=context
    )


@requires(TEMPLATE_VIEW)
def version_preview(request, template_id: int, number: int):
    """The version rendered with sample values, or a real customer (masked where ``pii``)."""
    actor = request.user
    template = _template(actor, template_id)
    version = _version(actor, template, number)
    form = PreviewForm(request.GET or None)
    customer = None
    if form.is_valid() and form.cleaned_data["customer"]:
        customer = (
            Customer.objects.visible_to(actor).filter(pk=form.cleaned_data["customer"]).first()
        )
        if customer is None:
            raise Http404()
    status = 400 if form.errors else 200
    return render(
        request,
        "messaging/template_preview.html",
        {
            "template": template,
            "version": version,
            "form": form,
            "customer": customer,
            "rendered": templating.preview(version, customer=customer),
            "provider_body": templating.whatsapp_body(version)
            if template.channel == Channel.WHATSAPP
            else "",
            "whatsapp": whatsapp_preview(version)
            if template.channel == Channel.WHATSAPP and version.blocks
            else None,
        },
        status=status,
    )


ACTIONS = {
    "submit": (
        lambda actor, version, note: services.template_version_submit(actor=actor, version=version),
        gettext_lazy("Versi diajukan untuk persetujuan."),
    ),
    "approve": (
        lambda actor, version, note: services.template_version_approve(
            actor=actor, version=version, note=note
        ),
        gettext_lazy("Versi disetujui; versi sebelumnya dipensiunkan."),
    ),
    "reject": (
        lambda actor, version, note: services.template_version_reject(
            actor=actor, version=version, note=note
        ),
        gettext_lazy("Versi ditolak."),
    ),
}


@requires(TEMPLATE_VIEW)
@require_POST
def version_action(request, template_id: int, number: int, action: str):
    """Submit, approve or reject: the workflow engine checks permission and four eyes."""
    template = _template(request.user, template_id)
    version = _version(request.user, template, number)
    if action not in ACTIONS:
        raise NotFound()
    run, done = ACTIONS[action]
    form = DecisionForm(request.POST)

    def act() -> str:
        run(request.user, version, form.cleaned_data["note"])
        return str(done)

    return run_action(
        request, act, back=reverse("messaging:template_detail", args=[template.pk]), form=form
    )
