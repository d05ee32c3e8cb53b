from django.urls import path

from amanah.followup import views

app_name = "followup"
urlpatterns = [
    path("", views.my, name="my"),
    path("members/<int:member_id>/log/", views.log_add, name="log_add"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
