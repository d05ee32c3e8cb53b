from django.urls import path

from amanah.iam import views

app_name = "iam"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("mfa/", views.mfa_view, name="mfa"),
    path("profile/", views.profile_view, name="profile"),
    path("profile/role/", views.role_switch_view, name="role_switch"),
    path("branches/mine/", views.my_branches, name="my_branches"),
    path("branches/mine/<uuid:branch_id>/", views.branch_detail, name="branch_detail"),
    path("admin/users/", views.user_list, name="user_list"),
    path("admin/users/new/", views.user_create, name="user_create"),
    path("admin/users/<uuid:user_id>/", views.user_edit, name="user_edit"),
    path("admin/users/<uuid:user_id>/disable/", views.user_disable, name="user_disable"),
    path("admin/users/<uuid:user_id>/enable/", views.user_enable, name="user_enable"),
    path("admin/users/<uuid:user_id>/password/", views.user_password, name="user_password"),
    path(
        "admin/users/<uuid:user_id>/reveal-email/",
        views.user_reveal_email,
        name="user_reveal_email",
    ),
    path("admin/users/<uuid:user_id>/tokens/", views.token_create, name="token_create"),
    path(
        "admin/users/<uuid:user_id>/tokens/<uuid:token_id>/revoke/",
        views.token_revoke,
        name="token_revoke",
    ),
    path("admin/branches/", views.branch_list, name="branch_list"),
    path("admin/branches/new/", views.branch_edit, name="branch_create"),
    path("admin/branches/<uuid:branch_id>/", views.branch_edit, name="branch_edit"),
    path("admin/permissions/", views.matrix_view, name="matrix"),
]
