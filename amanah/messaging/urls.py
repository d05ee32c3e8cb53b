"""Messaging pages. Each area keeps its own block of patterns."""

from django.urls import path

from amanah.messaging import (
    tracking,
    views,
    views_case_reply,
    views_communication,
    views_media,
    views_push,
    views_templates,
)

app_name = "messaging"

template_patterns = [
    path("templates/", views_templates.template_list, name="template_list"),
    path("templates/new/", views_templates.template_create, name="template_create"),
    path("templates/<int:template_id>/", views_templates.template_detail, name="template_detail"),
    path(
        "templates/<int:template_id>/design/",
        views_templates.template_design,
        name="template_design",
    ),
    path(
        "templates/<int:template_id>/whatsapp/",
        views_templates.template_whatsapp_design,
        name="template_whatsapp_design",
    ),
    path("templates/<int:template_id>/save/", views_templates.version_save, name="version_save"),
    path(
        "templates/<int:template_id>/v<int:number>/preview/",
        views_templates.version_preview,
        name="version_preview",
    ),
    path(
        "templates/<int:template_id>/v<int:number>/<slug:action>/",
        views_templates.version_action,
        name="version_action",
    ),
]

media_patterns = [
    path("media/", views_media.media_library, name="media_library"),
    path("media/upload/", views_media.media_upload, name="media_upload"),
    path("media/<uuid:asset_id>/withdraw/", views_media.media_withdraw, name="media_withdraw"),
    path("m/<str:token>/<str:filename>", views_media.media_file, name="media_file"),
]

outbox_patterns = [
    path("dead/", views.dead_letters, name="dead_letters"),
    path("dead/<uuid:message_id>/retry/", views.retry, name="retry"),
    path(
        "customers/<uuid:customer_id>/",
        views_communication.customer_messages,
        name="customer_messages",
    ),
    path("analytics/", views_communication.analytics, name="analytics"),
    path("cases/<uuid:case_id>/reply/", views_case_reply.case_reply, name="case_reply"),
    path("t/c/<str:token>/", tracking.click, name="track_click"),
    path("t/o/<str:token>/", tracking.open_pixel, name="track_open"),
]

push_patterns = [
    path("push/", views_push.push_settings, name="push_settings"),
    path("push/sw.js", views_push.push_worker, name="push_worker"),
    path("push/subscribe/", views_push.push_subscribe, name="push_subscribe"),
    path("push/unsubscribe/", views_push.push_unsubscribe, name="push_unsubscribe"),
]

urlpatterns = [*template_patterns, *media_patterns, *outbox_patterns, *push_patterns]
