from django.urls import path

from amanah.marketing import views

app_name = "marketing"
urlpatterns = [
    path("segments/", views.segment_list, name="segment_list"),
    path("segments/new/", views.segment_edit, name="segment_create"),
    path("segments/preview/", views.segment_preview, name="segment_preview"),
    path("segments/<uuid:segment_id>/", views.segment_edit, name="segment_edit"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<uuid:campaign_id>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<uuid:campaign_id>/abtest/", views.campaign_abtest, name="campaign_abtest"),
    path("campaigns/<uuid:campaign_id>/members/", views.campaign_members, name="campaign_members"),
    path(
        "campaigns/<uuid:campaign_id>/progress/",
        views.campaign_progress,
        name="campaign_progress",
    ),
    path(
        "campaigns/<uuid:campaign_id>/<slug:action>/", views.campaign_action, name="campaign_action"
    ),
]
