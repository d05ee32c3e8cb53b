"""The case page's reply to the customer (``case_replies``): one POST, answered on the case
page (the reason flashed when refused, the channel and the moment when queued)."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from amanah.cases.policies import CASE_REPLY
from amanah.core.view_helpers import run_action
from amanah.core.views import requires
from amanah.messaging import case_replies


class CaseReplyForm(forms.Form):
    channel = forms.ChoiceField(
        label=gettext_lazy("Kanal"),
        choices=[(c, c) for c in case_replies.REPLY_CHANNELS],
    )
    text = forms.CharField(label=gettext_lazy("Balasan ke nasabah"), max_length=1000)


@requires(CASE_REPLY)
@require_POST
def case_reply(request, case_id):
    form = CaseReplyForm(request.POST)

    def act() -> str:
        message = case_replies.case_reply(
            actor=request.user,
            case_id=case_id,
            channel=form.cleaned_data["channel"],
            text=form.cleaned_data["text"],
        )
        # Queued, not sent: the provider has not taken it yet (its status on the Komunikasi
        # tab moves on when it does).
        if message.next_attempt_at and message.next_attempt_at > timezone.now():
            return _(
                "Balasan lewat %(channel)s diantrekan sampai jendela kontak buka (%(at)s)."
            ) % {
                "channel": message.get_channel_display(),
                "at": f"{timezone.localtime(message.next_attempt_at):%d-%m-%Y %H:%M}",
            }
        return (
            _("Balasan lewat %s diantrekan; statusnya tampil di tab Komunikasi nasabah.")
            % message.get_channel_display()
        )

    return run_action(
        request,
        act,
        back=reverse("cases:detail", args=[case_id]),
        form=form,
        invalid=_("Pilih kanal dan tulis balasan (maks. 1000 karakter)."),
    )
