from django.urls import path

from amanah.privacy import views

app_name = "privacy"
urlpatterns = [
    path("ekspor/", views.dsar_list, name="dsar_list"),
    path("ekspor/buat/", views.dsar_create, name="dsar_create"),
    path("ekspor/<uuid:request_id>/", views.dsar_detail, name="dsar_detail"),
    path("ekspor/<uuid:request_id>/unduh/", views.dsar_download, name="dsar_download"),
    path("koreksi/", views.correction_list, name="correction_list"),
    path("koreksi/nasabah/<uuid:customer_id>/", views.correction_new, name="correction_new"),
    path(
        "koreksi/<uuid:correction_id>/putuskan/", views.correction_decide, name="correction_decide"
    ),
    path("insiden/", views.breach_list, name="breach_list"),
    path("insiden/catat/", views.breach_create, name="breach_create"),
    path("insiden/<uuid:incident_id>/pemberitahuan/", views.breach_notify, name="breach_notify"),
    path("insiden/<uuid:incident_id>/tutup/", views.breach_close, name="breach_close"),
]
