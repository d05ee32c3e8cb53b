from django.urls import path

from amanah.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path("i18n/setlang/", views.set_language, name="set_language"),
]
