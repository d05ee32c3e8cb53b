from django.urls import path

from amanah.knowledge import views

app_name = "knowledge"
urlpatterns = [
    path("", views.article_list, name="list"),
    path("baru/", views.article_create, name="create"),
    path("<uuid:article_id>/", views.article_detail, name="detail"),
    path("<uuid:article_id>/ubah/", views.article_edit, name="edit"),
    path("versi/<uuid:version_id>/pindah/", views.version_move, name="move"),
    path("versi/<uuid:version_id>/tarik/", views.version_withdraw, name="withdraw"),
]
