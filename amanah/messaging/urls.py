from django.urls import path

from amanah.messaging import views, views_communication

app_name = "messaging"
urlpatterns = [
    path("dead/", views.dead_letters, name="dead_letters"),
    path("dead/<uuid:message_id>/retry/", views.retry, name="retry"),
    path(
        "customers/<uuid:customer_id>/",
        views_communication.customer_messages,
        name="customer_messages",
    ),
    path("analytics/", views_communication.analytics, name="analytics"),
]
