from django.urls import path

from amanah.calendars import views

app_name = "calendars"
urlpatterns = [
    path("", views.calendar_list, name="list"),
    path("new/", views.calendar_create, name="create"),
    path("<uuid:calendar_id>/", views.calendar_detail, name="detail"),
    path("<uuid:calendar_id>/windows/", views.set_windows, name="set_windows"),
    path("<uuid:calendar_id>/days/", views.add_day, name="add_day"),
    path("<uuid:calendar_id>/days/<int:day_id>/remove/", views.remove_day, name="remove_day"),
    path("branches/<uuid:branch_id>/", views.assign_branch, name="assign_branch"),
]
