from django.urls import path

from amanah.sales import views

app_name = "sales"
urlpatterns = [
    path("leads/", views.board, name="board"),
    path("leads/new/<uuid:customer_id>/", views.lead_create, name="lead_create"),
    path("leads/<uuid:lead_id>/", views.lead_detail, name="lead_detail"),
    path("leads/<uuid:lead_id>/move/", views.lead_move, name="lead_move"),
    path("leads/<uuid:lead_id>/reopen/", views.lead_reopen, name="lead_reopen"),
    path("activities/new/<uuid:customer_id>/", views.activity_log, name="activity_log"),
    path("pipeline/", views.pipeline, name="pipeline"),
    path(
        "opportunities/new/<uuid:customer_id>/",
        views.opportunity_create,
        name="opportunity_create",
    ),
    path(
        "opportunities/<uuid:opportunity_id>/move/",
        views.opportunity_move,
        name="opportunity_move",
    ),
    path("followups/", views.followup_list, name="followups"),
    path("followups/<uuid:task_id>/complete/", views.followup_complete, name="followup_complete"),
]
