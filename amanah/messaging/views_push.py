"""Web Push for staff browsers: the settings page (subscribe this browser), the two JSON
endpoints its script posts to, and the service worker. Any signed-in member of staff manages
their own browsers only; the writes are ``push_services``' (validation, audit).

The worker is served here, at ``/messaging/push/sw.js``, not from ``/static/js/``: a worker's
scope can only be its own folder (or below), and the page that subscribes must lie in that
scope for ``navigator.serviceWorker.ready`` to resolve. Its scope is the settings page only; it
has no fetch handler, so it controls no other page. It is public (a fixed script without data):
the browser re-fetches it to check for updates whether or not a session is still open."""

from django import forms
from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from amanah.core.permissions import PUBLIC, SIGNED_IN
from amanah.core.view_helpers import run_json
from amanah.core.views import requires
from amanah.messaging.models import PushSubscription
from amanah.messaging.providers.webpush import vapid_public_key
from amanah.messaging.push_services import push_subscription_delete, push_subscription_save


class SubscribeForm(forms.Form):
    endpoint = forms.CharField(label=_("Alamat layanan push"), max_length=1000)
    p256dh = forms.CharField(label=_("Kunci publik peramban"), max_length=120)
    auth = forms.CharField(label=_("Rahasia autentikasi"), max_length=40)


class UnsubscribeForm(forms.Form):
    endpoint = forms.CharField(label=_("Alamat layanan push"), max_length=1000)


def _own_count(user) -> int:
    return PushSubscription.objects.filter(user_id=user.pk).count()


@requires(SIGNED_IN)
def push_settings(request):
    key = settings.MESSAGING_VAPID_PRIVATE_KEY
    return render(
        request,
        "messaging/push_settings.html",
        {
            "configured": bool(key) and "PUSH" in settings.MESSAGING_PROVIDERS,
            "public_key": vapid_public_key(key) if key else "",
            "subscriptions": _own_count(request.user),
        },
    )


@requires(SIGNED_IN)
@require_POST
def push_subscribe(request):
    form = SubscribeForm(request.POST)

    def save() -> dict:
        push_subscription_save(actor=request.user, **form.cleaned_data)
        return {"subscribed": True, "subscriptions": _own_count(request.user)}

    return run_json(request, save, form=form, invalid=_("Data langganan push tidak lengkap."))


@requires(SIGNED_IN)
@require_POST
def push_unsubscribe(request):
    form = UnsubscribeForm(request.POST)

    def delete() -> dict:
        deleted = push_subscription_delete(actor=request.user, **form.cleaned_data)
        return {"unsubscribed": bool(deleted), "subscriptions": _own_count(request.user)}

    return run_json(request, delete, form=form, invalid=_("Alamat layanan push wajib diisi."))


@requires(PUBLIC)
@require_GET
def push_worker(request):
    response = render(request, "messaging/push_sw.js", content_type="text/javascript")
    response["Cache-Control"] = "no-cache"  # the browser checks every update
    return response
