from django.urls import path

from amanah.insight import views

app_name = "insight"
urlpatterns = [
    path("rfm/", views.rfm_runs, name="rfm_runs"),
    path("rfm/run/", views.rfm_run_now, name="rfm_run_now"),
    path("nba/rules/", views.nba_rules, name="nba_rules"),
    path("nba/portfolio/", views.nba_portfolio, name="nba_portfolio"),
    path("nba/rules/<str:code>/propose/", views.nba_rule_propose, name="nba_rule_propose"),
    path("nba/changes/<uuid:change_id>/move/", views.nba_change_move, name="nba_change_move"),
    path("nba/<uuid:customer_id>/decide/", views.nba_decide, name="nba_decide"),
    path("nba/<uuid:customer_id>/outcome/", views.nba_outcome, name="nba_outcome"),
    path("recovery/", views.recovery_list, name="recovery_list"),
    path("recovery/<uuid:recovery_id>/move/", views.recovery_move, name="recovery_move"),
    path("recovery/triggers/", views.recovery_triggers, name="recovery_triggers"),
    path(
        "recovery/triggers/<str:code>/",
        views.recovery_trigger_update,
        name="recovery_trigger_update",
    ),
]
urlpatterns += [
    path("merchants/", views.merchant_list, name="merchant_list"),
    path("merchants/new/", views.merchant_create, name="merchant_create"),
    path("merchants/<uuid:merchant_id>/edit/", views.merchant_edit, name="merchant_edit"),
    path(
        "merchants/<uuid:merchant_id>/deactivate/",
        views.merchant_deactivate,
        name="merchant_deactivate",
    ),
    path(
        "merchants/for/<uuid:customer_id>/",
        views.merchant_for_customer,
        name="merchant_for_customer",
    ),
    path(
        "merchants/for/<uuid:customer_id>/send/",
        views.merchant_send,
        name="merchant_send",
    ),
    path("m/<str:token>/", views.merchant_click, name="merchant_click"),
]
