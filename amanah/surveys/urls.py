from django.urls import path

from amanah.surveys import views

app_name = "surveys"
urlpatterns = [
    path("terima-kasih/", views.thanks, name="thanks"),
    path("laporan/", views.dashboard, name="dashboard"),
    path("laporan/cabang/<uuid:branch_id>/", views.branch_report, name="branch"),
    path("<str:token>", views.respond, name="respond"),
]
