from django.urls import path

from amanah.workflow import views

app_name = "workflow"
urlpatterns = [
    path("", views.workflow_list, name="list"),
    path("transitions/<int:transition_id>/", views.transition_edit, name="transition_edit"),
]
