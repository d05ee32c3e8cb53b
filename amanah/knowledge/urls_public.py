from django.urls import path

from amanah.knowledge import views

app_name = "faq"
urlpatterns = [
    path("", views.faq, name="faq"),
]
