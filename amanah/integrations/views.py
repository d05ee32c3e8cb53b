"""ADMIN pages for external systems and their keys (the key shown once), and the queue of
inbound messages no customer matched (text masked in the list, shown on the detail page)."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core import access
from amanah.core.exports import csv_response
from amanah.core.uploads import upload_limit
from amanah.core.view_helpers import Done, run_action, submit_form
from amanah.core.views import requires
from amanah.documents.contract import owner_documents
from amanah.followup.policies import DESK_MONITOR
from amanah.integrations import imports, mailbox, monitor, selectors, services
from amanah.integrations import intake as intake_services
from amanah.integrations.forms import (
    ExternalSystemForm,
    ImportMappingForm,
    ImportUploadForm,
    LinkForm,
    RotateForm,
    ScheduleForm,
)
from amanah.integrations.policies import IMPORT_RUN, INTAKE_LINK, INTAKE_VIEW, SYSTEM_KEY_MANAGE


def _key_shown_once(request, system, raw):
    response = render(request, "integrations/key_created.html", {"system": system, "raw": raw})
    response["Cache-Control"] = "no-store"  # the raw key: never kept by a browser or a proxy
    return response


@requires(SYSTEM_KEY_MANAGE)
def system_list(request):
    systems = selectors.external_system_list(actor=request.user)
    return render(request, "integrations/system_list.html", {"systems": systems})


@requires(SYSTEM_KEY_MANAGE)
def system_create(request):
    def submit(data):
        system, _key, raw = services.external_system_create(
            actor=request.user,
            name=data["name"],
            label=data["label"],
            permissions=data["permissions"],
            all_branches=data["all_branches"],
            allowed_networks=data["allowed_networks"].splitlines(),
            valid_days=data["valid_days"],
        )
        return _key_shown_once(request, system, raw)

    form = ExternalSystemForm(request.POST or None)
    return submit_form(request, form, submit, template="integrations/system_form.html", context={})


@requires(SYSTEM_KEY_MANAGE)
def system_detail(request, system_id):
    system = selectors.external_system_get(actor=request.user, system_id=system_id)
    keys = selectors.system_key_list(actor=request.user, system=system)
    return render(
        request,
        "integrations/system_detail.html",
        {
            "system": system,
            "keys": keys,
            "rotate_form": RotateForm(),
            "schedule_form": ScheduleForm(
                initial={"silent_after_minutes": system.silent_after_minutes}
            ),
        },
    )


@requires(SYSTEM_KEY_MANAGE)
@require_POST
def key_rotate(request, system_id):
    form = RotateForm(request.POST)
    back = reverse("integrations:system_detail", kwargs={"system_id": system_id})

    def action():
        key, raw = services.system_key_rotate(
            actor=request.user, system_id=system_id, valid_days=form.cleaned_data["valid_days"]
        )
        return _key_shown_once(request, key.system, raw)

    return run_action(request, action, back=back, form=form)


@requires(SYSTEM_KEY_MANAGE)
@require_POST
def key_revoke(request, key_id):
    def action():
        key = services.system_key_revoke(actor=request.user, key_id=key_id)
        return _("Kunci %(prefix)s… dicabut.") % {"prefix": key.prefix}

    return run_action(request, action, back=reverse("integrations:system_list"))


@requires(INTAKE_VIEW)
def unmatched_list(request):
    items = selectors.unmatched_list(actor=request.user)
    return render(request, "integrations/unmatched_list.html", {"items": items})


@requires(INTAKE_VIEW)
def unmatched_detail(request, intake_id):
    item = selectors.intake_get(actor=request.user, intake_id=intake_id)
    # An e-mail's attachments wait with it while it is unmatched (documents of the intake).
    files = owner_documents(request.user, intake_services.INTAKE_OWNER, item)
    return render(
        request,
        "integrations/unmatched_detail.html",
        {"item": item, "form": LinkForm(), "files": files},
    )


@requires(INTAKE_LINK)
@require_POST
def unmatched_link(request, intake_id):
    form = LinkForm(request.POST)

    def action():
        item = intake_services.intake_link(
            actor=request.user, intake_id=intake_id, cif=form.cleaned_data["cif"]
        )
        return _("Pesan ditautkan; kasus %(case_no)s dibuat.") % {"case_no": item.case.case_no}

    return run_action(
        request,
        action,
        back=reverse("integrations:unmatched_detail", kwargs={"intake_id": intake_id}),
        form=form,
    )


@requires(SYSTEM_KEY_MANAGE)
def sync_monitor(request):
    """Per system: last success, calls and failures in 24 h, latency, backlog, silence; the
    dead webhook deliveries with their reason and a retry button."""
    return render(
        request,
        "integrations/sync_monitor.html",
        {
            "lines": monitor.health(actor=request.user),
            "dead": monitor.failed_deliveries(actor=request.user),
            # The inbound mailbox's settings (case intake by e-mail), never its password.
            "mailbox": mailbox.describe_for(actor=request.user),
            # Refused deposits stay on the follow-up desk's own monitor: a link, not a copy.
            "can_desk": access.has_perm(request.user, DESK_MONITOR),
        },
    )


@requires(SYSTEM_KEY_MANAGE)
@require_POST
def schedule_set(request, system_id):
    form = ScheduleForm(request.POST)

    def action():
        system = monitor.system_schedule_set(
            actor=request.user,
            system_id=system_id,
            silent_after_minutes=form.cleaned_data["silent_after_minutes"],
        )
        return _("Jadwal pemantauan %(system)s disimpan.") % {"system": system.label}

    back = reverse("integrations:system_detail", kwargs={"system_id": system_id})
    return run_action(request, action, back=back, form=form)


@requires(SYSTEM_KEY_MANAGE)
@require_POST
def delivery_retry(request, delivery_id):
    def action():
        monitor.webhook_delivery_retry(actor=request.user, delivery_id=delivery_id)
        return _("Pengiriman webhook dijadwalkan ulang.")

    return run_action(request, action, back=reverse("integrations:sync_monitor"))


# --------------------------------------------------------------------------- batch import


@requires(IMPORT_RUN)
def import_list(request):
    batches = selectors.import_batch_list(actor=request.user)
    return render(request, "integrations/import_list.html", {"batches": batches})


@upload_limit("INTEGRATIONS_IMPORT_MAX_BYTES")  # the one route taking files this large
@requires(IMPORT_RUN)
def import_upload(request):
    form = ImportUploadForm(
        request.POST or None,
        request.FILES or None,
        targets=imports.targets_for(request.user),
        systems=selectors.import_sources(),
    )

    def submit(data):
        system = next((s for s in selectors.import_sources() if s.name == data["source"]), None)
        upload = data["file"]
        batch = imports.import_batch_create(
            actor=request.user,
            target=data["target"],
            file_name=upload.name,
            content=upload.read(),
            system=system,
        )
        return Done(
            reverse("integrations:import_detail", kwargs={"batch_id": batch.pk}),
            _("Berkas diterima: %(rows)d baris. Periksa pemetaan kolom lalu jalankan uji coba.")
            % {"rows": batch.total_rows},
        )

    return submit_form(
        request, form, submit, template="integrations/import_upload.html", context={}
    )


def _mapping_form(batch, data=None):
    target = imports.target_get(batch.target)
    initial = batch.mapping or imports.suggested_mapping(batch)
    return ImportMappingForm(
        data, columns=batch.columns, fields=target.fields, initial_mapping=initial
    )


@requires(IMPORT_RUN)
def import_detail(request, batch_id):
    batch = selectors.import_batch_get(actor=request.user, batch_id=batch_id)
    target = imports.target_get(batch.target)
    editable = batch.status in imports.MAPPABLE and not batch.purged_at
    return render(
        request,
        "integrations/import_detail.html",
        {
            "batch": batch,
            "target": target,
            "form": _mapping_form(batch) if editable else None,
            "errors": selectors.import_errors_shown(actor=request.user, batch=batch),
            "errors_shown": selectors.IMPORT_ERRORS_SHOWN,
        },
    )


@requires(IMPORT_RUN)
def import_progress(request, batch_id):
    """The progress box alone, polled by htmx while a step runs."""
    batch = selectors.import_batch_get(actor=request.user, batch_id=batch_id)
    return render(request, "integrations/_import_progress.html", {"batch": batch})


@requires(IMPORT_RUN)
@require_POST
def import_mapping(request, batch_id):
    batch = selectors.import_batch_get(actor=request.user, batch_id=batch_id)
    form = _mapping_form(batch, request.POST)
    back = reverse("integrations:import_detail", kwargs={"batch_id": batch.pk})

    def action():
        imports.import_mapping_set(actor=request.user, batch_id=batch.pk, mapping=form.mapping())
        return _("Pemetaan disimpan; uji coba berjalan.")

    return run_action(request, action, back=back, form=form)


@requires(IMPORT_RUN)
@require_POST
def import_start(request, batch_id):
    back = reverse("integrations:import_detail", kwargs={"batch_id": batch_id})

    def action():
        imports.import_batch_run(actor=request.user, batch_id=batch_id)
        return _("Impor dijadwalkan; kemajuannya tampil di halaman ini.")

    return run_action(request, action, back=back)


@requires(IMPORT_RUN)
def import_download(request, batch_id, kind):
    filename, header, rows = imports.import_report(actor=request.user, batch_id=batch_id, kind=kind)
    return csv_response(filename, header, rows)
