"""Gateway callbacks, mounted at ``/webhooks/payments/``: declared ``SIGNED_REQUEST``."""

from django.urls import path

from amanah.payments import webhooks

app_name = "payment_webhooks"
urlpatterns = [
    path("midtrans", webhooks.midtrans_callback, name="midtrans"),
    path("xendit", webhooks.xendit_callback, name="xendit"),
]
