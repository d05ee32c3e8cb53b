from django.urls import path

from amanah.documents import views

app_name = "documents"
urlpatterns = [
    path("of/<str:kind>/<str:owner_id>/", views.owner_panel, name="owner"),
    path("of/<str:kind>/<str:owner_id>/upload/", views.upload, name="upload"),
    path("<uuid:document_id>/", views.detail, name="detail"),
    path("<uuid:document_id>/versions/", views.add_version, name="add_version"),
    path("<uuid:document_id>/move/", views.move, name="move"),
    path("<uuid:document_id>/revert/", views.revert, name="revert"),
    path("<uuid:document_id>/sign/", views.sign, name="sign"),
    path("<uuid:document_id>/legal-hold/", views.legal_hold, name="legal_hold"),
    path("versions/<uuid:version_id>/download/", views.download, name="download"),
    path("versions/<uuid:version_id>/verify/", views.verify, name="verify"),
]
