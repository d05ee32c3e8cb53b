from django.urls import path

from amanah.breakglass import views

app_name = "breakglass"
urlpatterns = [
    path("", views.grant_list, name="list"),
    path("request/", views.request_access, name="request"),
    path("<uuid:grant_id>/decide/", views.decide, name="decide"),
    path("<uuid:grant_id>/review/", views.review, name="review"),
]
