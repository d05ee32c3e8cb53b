"""The dead-letter page (ADMIN): messages that failed for good or kept failing, and retry.

MESSAGE_VIEW sees the list (masked addresses, codes with their labels, times in the user's
zone); MESSAGE_RETRY retries one after a confirmation page. The retry is the service's
(``services.message_retry``: permission, scope, audit); this module only shows and asks.
"""

from django import forms
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.core.view_helpers import run_action
from amanah.core.views import requires
from amanah.iam import authz
from amanah.messaging.models import Message
from amanah.messaging.policies import MESSAGE_RETRY, MESSAGE_VIEW
from amanah.messaging.services import RETRYABLE, message_retry


class ConfirmForm(forms.Form):
    confirm = forms.ChoiceField(
        choices=[("yes", gettext_lazy("Ya"))],
        error_messages={"required": gettext_lazy("Konfirmasi pengiriman ulang dulu.")},
    )


def _dead_letters(user):
    return Message.objects.visible_to(user).filter(RETRYABLE)


@requires(MESSAGE_VIEW)
def dead_letters(request):
    rows = _dead_letters(request.user).order_by("-status_changed_at")[:200]
    return render(
        request,
        "messaging/dead_letters.html",
        {"rows": rows, "may_retry": authz.has_perm(request.user, MESSAGE_RETRY)},
    )


@requires(MESSAGE_RETRY)
def retry(request, message_id):
    message = get_object_or_404(_dead_letters(request.user), pk=message_id)
    if request.method != "POST":
        return render(request, "messaging/retry_confirm.html", {"message": message})

    def action() -> str:
        message_retry(actor=request.user, message_id=message.pk)
        return _("Pesan diantrekan untuk dikirim ulang.")

    return run_action(
        request,
        action,
        back=reverse("messaging:dead_letters"),
        form=ConfirmForm(request.POST),
    )
