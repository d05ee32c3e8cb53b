"""Provider callbacks, mounted at ``/webhooks/``: declared ``SIGNED_REQUEST`` (see webhooks)."""

from django.urls import path

from amanah.messaging import webhooks

app_name = "webhooks"
urlpatterns = [
    path("whatsapp", webhooks.whatsapp_webhook, name="whatsapp"),
    path("sms", webhooks.sms_webhook, name="sms"),
]
