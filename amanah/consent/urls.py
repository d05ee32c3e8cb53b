from django.urls import path

from amanah.consent import views

app_name = "consent"
urlpatterns = [
    path("<str:token>", views.unsubscribe, name="unsubscribe"),
]
