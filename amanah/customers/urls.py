from django.urls import path

from amanah.customers import views

app_name = "customers"
urlpatterns = [
    path("new/", views.create, name="create"),
    path("<uuid:customer_id>/edit/", views.edit, name="edit"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/<int:flag_id>/propose/", views.propose, name="propose_merge"),
    path("duplicates/<int:flag_id>/dismiss/", views.dismiss, name="dismiss_duplicate"),
    path("merges/<uuid:request_id>/decide/", views.decide, name="decide_merge"),
]
