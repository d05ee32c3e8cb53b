from django.urls import path

from amanah.customer360 import views

app_name = "customer360"
urlpatterns = [
    path("", views.search, name="search"),
    path("<uuid:customer_id>/", views.workspace, name="workspace"),
    path("<uuid:customer_id>/timeline/", views.timeline, name="timeline"),
    path("<uuid:customer_id>/consent/", views.change_consent, name="change_consent"),
    path("<uuid:customer_id>/reveal/<slug:field>/", views.reveal, name="reveal"),
]
