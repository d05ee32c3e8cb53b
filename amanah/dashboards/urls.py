from django.urls import path

from amanah.dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("direksi/", views.director, name="director"),
    path("direksi/<str:key>.csv", views.widget_csv, name="widget_csv"),
    path("kepatuhan/", views.compliance, name="compliance"),
]
