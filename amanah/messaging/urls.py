from django.urls import path

from amanah.messaging import views

app_name = "messaging"
urlpatterns = [
    path("dead/", views.dead_letters, name="dead_letters"),
    path("dead/<uuid:message_id>/retry/", views.retry, name="retry"),
]
