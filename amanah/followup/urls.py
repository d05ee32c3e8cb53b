from django.urls import path

from amanah.followup import views, views_agents

app_name = "followup"
urlpatterns = [
    path("", views.my, name="my"),
    path("members/<int:member_id>/log/", views.log_add, name="log_add"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("members/<int:member_id>/", views.member, name="member"),
    path("agents/", views_agents.agents, name="agents"),
    path("agents/add/", views_agents.agent_add, name="agent_add"),
    path("agents/order/", views_agents.order_set, name="order_set"),
    path("agents/<uuid:agent_id>/capacity/", views_agents.capacity_set, name="capacity_set"),
    path("agents/<uuid:agent_id>/absences/", views_agents.absence_add, name="absence_add"),
    path("absences/<uuid:absence_id>/cancel/", views_agents.absence_cancel, name="absence_cancel"),
]
