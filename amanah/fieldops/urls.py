from django.urls import path

from amanah.fieldops import views, views_app

app_name = "fieldops"
urlpatterns = [
    path("", views.my, name="my"),
    path("app/", views_app.app, name="app"),
    path("app/manifest.webmanifest", views_app.manifest, name="app_manifest"),
    path("app/sw.js", views_app.service_worker, name="app_sw"),
    path("app/day.json", views_app.day, name="app_day"),
    path("app/sync", views_app.sync, name="app_sync"),
    path("wo/", views.work_order_list, name="list"),
    path("wo/new/", views.create, name="create"),
    path("wo/generate/", views.generate_now, name="generate"),
    path("wo/<int:work_order_id>/", views.detail, name="detail"),
    path("wo/<int:work_order_id>/map.json", views.work_order_map, name="wo_map"),
    path("map.json", views.my_map, name="map"),
    path("team/map.json", views.team_map, name="team_map"),
    path("monitoring/", views.monitoring_page, name="monitoring"),
    path("monitoring/export/", views.export, name="export"),
    path("wo/<int:work_order_id>/visit/", views.visit, name="visit"),
    path("wo/<int:work_order_id>/assign/", views.assign, name="assign"),
    path("wo/<int:work_order_id>/move/", views.move, name="move"),
    path("wo/<int:work_order_id>/revert/", views.revert, name="revert"),
    path("visits/<int:visit_id>/photos/", views.photo_add, name="photo_add"),
    path("corrections/<int:correction_id>/", views.correction_decide, name="correction_decide"),
    path("conflicts/<int:visit_id>/settle/", views.conflict_settle, name="conflict_settle"),
]
