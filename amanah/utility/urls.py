from django.urls import path

from amanah.utility import views, views_installations
from amanah.utility.incidents import views as views_incidents

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
    path("gangguan/", views_incidents.incidents_page, name="incidents"),
    path("gangguan/baru/", views_incidents.incident_new, name="incident_new"),
    path("gangguan/<int:incident_id>/", views_incidents.incident_detail, name="incident"),
    path(
        "gangguan/<int:incident_id>/selesai/",
        views_incidents.incident_resolve,
        name="incident_resolve",
    ),
    path("pasang-baru/", views_installations.installations_page, name="installations"),
    path("pasang-baru/baru/", views_installations.installation_new, name="installation_new"),
    path(
        "pasang-baru/<int:installation_id>/",
        views_installations.installation_detail,
        name="installation",
    ),
    path(
        "pasang-baru/<int:installation_id>/tahap/",
        views_installations.installation_move,
        name="installation_move",
    ),
    path(
        "pasang-baru/<int:installation_id>/batalkan/",
        views_installations.installation_revert,
        name="installation_revert",
    ),
    path(
        "pasang-baru/<int:installation_id>/rab/",
        views_installations.installation_rab,
        name="installation_rab",
    ),
    path(
        "pasang-baru/<int:installation_id>/angsuran/",
        views_installations.installation_schedule,
        name="installation_schedule",
    ),
    path(
        "pasang-baru/<int:installation_id>/bayar/",
        views_installations.installation_pay,
        name="installation_pay",
    ),
    path(
        "pasang-baru/<int:installation_id>/qris/",
        views_installations.installation_qris,
        name="installation_qris",
    ),
]
