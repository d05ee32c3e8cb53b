from django.urls import path

from amanah.utility import views

app_name = "utility"
urlpatterns = [
    path("", views.connections, name="connections"),
    path("baru/", views.connection_new, name="connection_new"),
    path("<int:connection_id>/", views.connection_detail, name="connection"),
    path("<int:connection_id>/status/", views.connection_status, name="connection_status"),
    path("<int:connection_id>/bayar/", views.payment_record, name="payment_record"),
    path("jaringan/", views.network, name="network"),
    path("jaringan/wilayah/", views.area_new, name="area_new"),
    path("jaringan/wilayah/<str:code>/", views.area_edit, name="area_edit"),
    path("jaringan/spam/", views.spam_new, name="spam_new"),
    path("jaringan/spam/<str:code>/", views.spam_edit, name="spam_edit"),
    path("tarif/", views.tariffs, name="tariffs"),
    path("tarif/baru/", views.tariff_new, name="tariff_new"),
    path("tarif/<str:code>/", views.tariff_edit, name="tariff_edit"),
    path("penagihan/", views.billing, name="billing"),
]
