from django.urls import path

from amanah.integrations import views

app_name = "integrations"

urlpatterns = [
    path("sistem/", views.system_list, name="system_list"),
    path("sistem/baru/", views.system_create, name="system_create"),
    path("sistem/<uuid:system_id>/", views.system_detail, name="system_detail"),
    path("sistem/<uuid:system_id>/rotasi/", views.key_rotate, name="key_rotate"),
    path("kunci/<uuid:key_id>/cabut/", views.key_revoke, name="key_revoke"),
    path("pesan-masuk/", views.unmatched_list, name="unmatched_list"),
    path("pesan-masuk/<uuid:intake_id>/", views.unmatched_detail, name="unmatched_detail"),
    path("pesan-masuk/<uuid:intake_id>/tautkan/", views.unmatched_link, name="unmatched_link"),
    path("monitor/", views.sync_monitor, name="sync_monitor"),
    path("sistem/<uuid:system_id>/jadwal/", views.schedule_set, name="schedule_set"),
    path("pengiriman/<uuid:delivery_id>/coba-lagi/", views.delivery_retry, name="delivery_retry"),
    path("impor/", views.import_list, name="import_list"),
    path("impor/unggah/", views.import_upload, name="import_upload"),
    path("impor/<uuid:batch_id>/", views.import_detail, name="import_detail"),
    path("impor/<uuid:batch_id>/progres/", views.import_progress, name="import_progress"),
    path("impor/<uuid:batch_id>/pemetaan/", views.import_mapping, name="import_mapping"),
    path("impor/<uuid:batch_id>/jalankan/", views.import_start, name="import_start"),
    path("impor/<uuid:batch_id>/<str:kind>.csv", views.import_download, name="import_download"),
]
