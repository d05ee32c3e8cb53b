from django.urls import path

from amanah.journeys import views

app_name = "journeys"
urlpatterns = [
    path("", views.journey_list, name="list"),
    path("new/", views.journey_create, name="create"),
    path("calendar/", views.journey_calendar, name="calendar"),
    path("<uuid:journey_id>/", views.journey_detail, name="detail"),
    path("<uuid:journey_id>/edit/", views.journey_edit, name="edit"),
    path("<uuid:journey_id>/canvas/", views.journey_canvas_save, name="canvas_save"),
    path("<uuid:journey_id>/move/", views.journey_move, name="move"),
    path("<uuid:journey_id>/new-version/", views.journey_new_version, name="new_version"),
    path("<uuid:journey_id>/ab/<str:node_key>/promote/", views.journey_promote, name="promote"),
    path(
        "<uuid:journey_id>/quarantine/<str:enrollment_id>/",
        views.journey_quarantine,
        name="quarantine",
    ),
]
