from django.urls import path

from amanah.cases import views, views_routing

app_name = "cases"
urlpatterns = [
    path("mine/", views.mine, name="mine"),
    path("<uuid:case_id>/reveal-name/", views.reveal_customer_name, name="reveal_customer_name"),
    path("find/", views.find, name="find"),
    path("queue/", views.queue, name="queue"),
    path("queue/export.csv", views.export, name="export"),
    path("queue/assign/", views.queue_assign, name="queue_assign"),
    path("queue/filters/", views.saved_filter_save, name="saved_filter_save"),
    path(
        "queue/filters/<int:filter_id>/delete/",
        views.saved_filter_delete,
        name="saved_filter_delete",
    ),
    path("ojk/", views.ojk_report, name="ojk_report"),
    path("ojk/report.csv", views.ojk_report_csv, name="ojk_report_csv"),
    path("ojk/register.csv", views.ojk_register_csv, name="ojk_register_csv"),
    path("settings/", views.sla_settings, name="sla_settings"),
    path("settings/routing/", views_routing.routing_rules, name="routing_rules"),
    path("settings/routing/new/", views_routing.routing_rule_new, name="routing_rule_new"),
    path(
        "settings/routing/<int:rule_id>/",
        views_routing.routing_rule_edit,
        name="routing_rule_edit",
    ),
    path(
        "settings/routing/<int:rule_id>/active/",
        views_routing.routing_rule_active,
        name="routing_rule_active",
    ),
    path("new/<uuid:customer_id>/", views.create, name="create"),
    path("intake/", views.intake_find, name="intake_find"),
    path("intake/<uuid:customer_id>/", views.intake_create, name="intake_create"),
    path("<uuid:case_id>/", views.detail, name="detail"),
    path("<uuid:case_id>/receipt/", views.receipt, name="receipt"),
    path("<uuid:case_id>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("<uuid:case_id>/note/", views.add_note, name="add_note"),
    path("<uuid:case_id>/status/", views.change_status, name="change_status"),
    path("<uuid:case_id>/final-response/", views.final_response, name="final_response"),
    path("<uuid:case_id>/close/", views.close, name="close"),
    path("<uuid:case_id>/assign/", views.assign, name="assign"),
    path("<uuid:case_id>/reopen/", views.reopen, name="reopen"),
    path("<uuid:case_id>/duplicate/", views.cancel_duplicate, name="cancel_duplicate"),
    path("<uuid:case_id>/escalate/", views.escalate, name="escalate"),
    path("<uuid:case_id>/extend/", views.extend, name="extend"),
    path("<uuid:case_id>/root-cause/", views.root_cause, name="root_cause"),
    path("<uuid:case_id>/category/", views.category_decide, name="category_decide"),
]
