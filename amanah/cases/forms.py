from datetime import date, timedelta

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from amanah.cases import ojk
from amanah.cases.models import (
    CaseCategory,
    CaseStatus,
    Channel,
    Priority,
    RootCause,
    RoutingStrategy,
    TimeUnit,
)
from amanah.cases.selectors import category_choices
from amanah.core.errors import ServiceError
from amanah.core.fields import BoundedDateField


class CaseIntakeForm(forms.Form):
    channel = forms.ChoiceField(label=_("Kanal"), choices=[("", "—")] + Channel.choices)
    category = forms.ChoiceField(label=_("Kategori"))
    priority = forms.ChoiceField(label=_("Prioritas"), choices=[("", "—")] + Priority.choices)
    product = forms.CharField(label=_("Produk terkait (opsional)"), required=False, max_length=80)
    description = forms.CharField(
        label=_("Kronologi"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000
    )
    contact_preference = forms.CharField(
        label=_("Preferensi kontak (opsional)"), required=False, max_length=80
    )
    # Becomes an EVIDENCE document of the case (checked, encrypted at rest) — documents' rules.
    attachment = forms.FileField(
        label=_("Lampiran (PDF, JPG, PNG, DOCX atau XLSX)"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—"), *category_choices(active_only=True)]
        if settings.CASE_CLASSIFIER_PROFILE:  # empty: set from the text (cases.classifier)
            for name in ("category", "priority"):
                field = self.fields[name]
                field.required = False
                field.choices = [("", _("— otomatis dari kronologi —"))] + list(field.choices)[1:]


class NoteForm(forms.Form):
    message = forms.CharField(
        label=_("Catatan internal"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )


def resolution_choices() -> list[tuple[str, str]]:
    """The configured, active resolution codes by their label; nothing chosen at first."""
    from amanah.cases.selectors import resolution_codes

    return [("", _("— pilih kode penyelesaian —"))] + [
        (r.code, r.display) for r in resolution_codes() if r.active
    ]


class ConfirmField(forms.BooleanField):
    """The tick that stands for "yes, I mean it" before a move that cannot be undone."""

    default_error_messages = {
        "required": _("Centang konfirmasi: langkah ini tidak dapat dibatalkan sendiri.")
    }

    def __init__(self, label, **kwargs):
        super().__init__(label=label, required=True, **kwargs)


class FinalResponseForm(forms.Form):
    final_response = forms.CharField(
        label=_("Jawaban akhir"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=10_000,
    )
    # A code from the configured list (the service refuses anything else, with the reason).
    resolution_code = forms.CharField(
        label=_("Kode penyelesaian"), required=False, max_length=40, widget=forms.Select()
    )
    confirm = ConfirmField(
        _("Saya yakin: jawaban akhir dicatat, nasabah diberi tahu dan kasus berstatus Selesai.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resolution_code"].widget.choices = resolution_choices()


class CloseForm(forms.Form):
    # Only for a case resolved before codes were required: otherwise the code chosen with the
    # final response stands.
    resolution_code = forms.CharField(
        label=_("Kode penyelesaian"), max_length=40, required=False, widget=forms.Select()
    )
    confirm = ConfirmField(_("Saya yakin: kasus ditutup dan tidak dapat diubah lagi."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resolution_code"].widget.choices = resolution_choices()


class QueueFilterForm(forms.Form):
    branch = forms.ChoiceField(label=_("Cabang"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Semua terbuka"))] + CaseStatus.choices[:4],
    )
    priority = forms.ChoiceField(
        label=_("Prioritas"), required=False, choices=[("", _("Semua"))] + Priority.choices
    )
    category = forms.ChoiceField(label=_("Kategori"), required=False)
    overdue = forms.BooleanField(label=_("Hanya yang terlambat"), required=False)
    who = forms.ChoiceField(label=_("Penanganan"), required=False)
    number = forms.CharField(label=_("No. kasus"), required=False, max_length=40)

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].choices = [("", _("Semua dalam scope"))] + [
            (str(b.pk), str(b)) for b in branches
        ]
        self.fields["category"].choices = [("", _("Semua")), *category_choices(active_only=False)]
        from amanah.cases.selectors import Who

        self.fields["who"].choices = [("", _("Semua"))] + Who.choices


class SavedFilterForm(forms.Form):
    name = forms.CharField(label=_("Nama filter"), max_length=60)


class SlaPolicyForm(forms.Form):
    category = forms.ChoiceField(label=_("Kategori"))
    priority = forms.ChoiceField(label=_("Prioritas"), choices=Priority.choices)
    first_response_value = forms.IntegerField(
        label=_("Respons pertama"), min_value=1, max_value=1000
    )
    first_response_unit = forms.ChoiceField(label=_("Satuan"), choices=TimeUnit.choices)
    resolution_value = forms.IntegerField(label=_("Penyelesaian"), min_value=1, max_value=1000)
    resolution_unit = forms.ChoiceField(label=_("Satuan"), choices=TimeUnit.choices)
    regulatory = forms.BooleanField(
        label=_("Profil regulasi OJK (10 + 10 hari kerja)"), required=False
    )
    escalate_on_breach = forms.BooleanField(
        label=_("Eskalasi otomatis saat terlambat"), required=False, initial=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(c.code, c.name) for c in CaseCategory.objects.all()]


class CategoryForm(forms.Form):
    code = forms.CharField(label=_("Kode"), max_length=20)
    name = forms.CharField(label=_("Nama"), max_length=80)
    is_sensitive = forms.BooleanField(label=_("Sensitif"), required=False)
    active = forms.BooleanField(label=_("Aktif"), required=False, initial=True)


class ExtensionForm(forms.Form):
    reason = forms.CharField(label=_("Alasan perpanjangan"), max_length=500)
    customer_notified = forms.BooleanField(label=_("Nasabah sudah diberi tahu"), required=False)


class RootCauseForm(forms.Form):
    root_cause = forms.ChoiceField(label=_("Akar masalah"), choices=RootCause.choices)


class CaseNumberForm(forms.Form):
    """A case number as typed (Kasus saya); NUL bytes and overlong input are refused here."""

    number = forms.CharField(label=_("No. kasus"), required=False, max_length=40)


class FindForm(forms.Form):
    """The header's search box: a case number, or anything the customer search takes."""

    q = forms.CharField(label=_("Cari"), max_length=100)


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Alasan membuka kembali"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DuplicateForm(forms.Form):
    duplicate_of = forms.CharField(label=_("No. kasus asal"), max_length=40)
    confirm = ConfirmField(_("Saya yakin: kasus ini dibatalkan sebagai duplikat."))


class ResolutionCodeForm(forms.Form):
    code = forms.CharField(label=_("Kode"), max_length=40)
    label = forms.CharField(label=_("Label (Indonesia)"), max_length=80)
    label_en = forms.CharField(label=_("Label (Inggris)"), max_length=80, required=False)
    position = forms.IntegerField(label=_("Urutan"), min_value=0, max_value=1000, initial=0)
    active = forms.BooleanField(label=_("Aktif"), required=False, initial=True)


class OjkPeriodForm(forms.Form):
    """The OJK report's period: a month, a quarter or custom dates (local, inclusive). The
    rules on the period itself (reversed, too long, out of range) are ``ojk.period_check``."""

    PERIODS = [
        ("month", _("Bulan")),
        ("quarter", _("Triwulan")),
        ("custom", _("Tanggal pilihan")),
    ]
    period = forms.ChoiceField(label=_("Periode"), choices=PERIODS, initial="month")
    month = forms.CharField(
        label=_("Bulan (TTTT-BB)"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month"}),
    )
    year = forms.IntegerField(label=_("Tahun"), required=False, min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label=_("Triwulan"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), (1, "I"), (2, "II"), (3, "III"), (4, "IV")],
    )
    start = BoundedDateField(
        label=_("Dari tanggal"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = BoundedDateField(
        label=_("Sampai tanggal"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        kind = data.get("period")
        if kind == "month":
            try:
                year, month = (int(p) for p in (data.get("month") or "").split("-"))
                first = date(year, month, 1)
                last = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
            except (ValueError, OverflowError):
                self.add_error("month", _("Isi bulan sebagai TTTT-BB, mis. 2026-11."))
                return data
        elif kind == "quarter":
            if not data.get("year") or not data.get("quarter"):
                self.add_error("quarter", _("Pilih tahun dan triwulan."))
                return data
            first = date(data["year"], 3 * data["quarter"] - 2, 1)
            last = (first + timedelta(days=92)).replace(day=1) - timedelta(days=1)
        elif kind == "custom":
            first, last = data.get("start"), data.get("end")
            if not first or not last:
                self.add_error("start", _("Isi tanggal awal dan akhir."))
                return data
        else:
            return data
        try:
            data["checked"] = ojk.period_check(first, last)
        except ServiceError as error:
            where = {"month": "month", "quarter": "quarter"}.get(kind, error.field)
            self.add_error(where, error.message)
        return data


class RoutingRuleForm(forms.Form):
    """A routing rule (``cases.routing``): what it matches ("" = any), who takes the cases and
    how. The members' round-robin order is the list's order (by name); a default capacity for
    all and, per ticked agent, an optional own capacity (``capacity_<user id>``, empty = the
    default). The service checks everything again (a branch that went away, an agent who
    left)."""

    name = forms.CharField(label=_("Nama aturan"), max_length=80)
    order = forms.IntegerField(
        label=_("Urutan (yang lebih kecil dicoba lebih dulu)"),
        min_value=1,
        max_value=10_000,
        initial=100,
    )
    category = forms.ChoiceField(label=_("Kategori"), required=False)
    channel = forms.ChoiceField(
        label=_("Kanal"), required=False, choices=[("", _("Semua kanal"))] + Channel.choices
    )
    branch = forms.ChoiceField(label=_("Cabang kasus"), required=False)
    priority = forms.ChoiceField(
        label=_("Prioritas"),
        required=False,
        choices=[("", _("Semua prioritas"))] + Priority.choices,
    )
    strategy = forms.ChoiceField(label=_("Cara pembagian"), choices=RoutingStrategy.choices)
    members = forms.MultipleChoiceField(
        label=_("Agen penerima"), widget=forms.CheckboxSelectMultiple
    )
    capacity = forms.IntegerField(
        label=_("Kapasitas bawaan per agen (kasus terbuka)"),
        min_value=1,
        max_value=1000,
        initial=20,
    )
    active = forms.BooleanField(label=_("Aktif"), required=False, initial=True)

    def __init__(self, *args, candidates=(), member_capacities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = list(candidates)
        for u in self.candidates:
            self.fields[f"capacity_{u.pk}"] = forms.IntegerField(
                label=_("Kapasitas %s") % u.full_name,
                required=False,
                min_value=1,
                max_value=1000,
                initial=(member_capacities or {}).get(str(u.pk)),
            )
        from amanah.iam.models import Branch

        self.fields["category"].choices = [("", _("Semua kategori"))] + [
            (c.code, c.name) for c in CaseCategory.objects.filter(active=True)
        ]
        self.fields["branch"].choices = [("", _("Semua cabang"))] + [
            (b.code, f"{b.code} — {b.name}")
            for b in Branch.objects.filter(is_active=True).order_by("code")
        ]
        self.fields["members"].choices = [
            (
                str(u.pk),
                f"{u.full_name} ({u.username})"
                + (f" — {u.home_branch.code}" if u.home_branch_id else ""),
            )
            for u in candidates
        ]

    def member_rows(self):
        """(candidate, ticked?, own capacity field) per candidate, in the list's order."""
        chosen = {str(v) for v in (self["members"].value() or [])}
        return [(u, str(u.pk) in chosen, self[f"capacity_{u.pk}"]) for u in self.candidates]

    def member_inputs(self) -> list[tuple[str, int | None]]:
        """(user id, own capacity or None) of the ticked agents, in the list's order."""
        data = self.cleaned_data
        chosen = set(data["members"])
        # The round robin's order is the list's (by name), whatever order the post came in.
        return [
            (str(u.pk), data.get(f"capacity_{u.pk}"))
            for u in self.candidates
            if str(u.pk) in chosen
        ]
