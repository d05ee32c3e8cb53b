from django.urls import path

from amanah.payments import views

app_name = "payments"
urlpatterns = [
    path("", views.payment_list, name="list"),
    path("<uuid:payment_id>/", views.payment_detail, name="detail"),
    path("callback/", views.callback_list, name="callbacks"),
    path("rekonsiliasi/", views.reconciliation_list, name="reconciliations"),
    path("rekonsiliasi/<uuid:run_id>/", views.reconciliation_detail, name="reconciliation_detail"),
]
