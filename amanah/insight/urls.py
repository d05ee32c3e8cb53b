from django.urls import path

from amanah.insight import views

app_name = "insight"
urlpatterns = [
    path("rfm/", views.rfm_runs, name="rfm_runs"),
    path("rfm/run/", views.rfm_run_now, name="rfm_run_now"),
]
