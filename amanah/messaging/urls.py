from django.urls import path

from amanah.messaging import tracking, views, views_communication

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
    path("t/c/<str:token>/", tracking.click, name="track_click"),
    path("t/o/<str:token>/", tracking.open_pixel, name="track_open"),
]
