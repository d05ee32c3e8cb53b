from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from amanah.core.views import requires
from amanah.notifications.models import Notification
from amanah.notifications.policies import NOTIFICATIONS_VIEW
from amanah.notifications.services import notification_mark_read


@requires(NOTIFICATIONS_VIEW)
def inbox(request):
    items = Notification.objects.visible_to(request.user).order_by("-created_at")[:100]
    return render(request, "notifications/inbox.html", {"items": items})


@requires(NOTIFICATIONS_VIEW)
@require_POST
def mark_read(request, notification_id):
    item = get_object_or_404(Notification.objects.visible_to(request.user), pk=notification_id)
    notification_mark_read(actor=request.user, notification=item)
    return redirect(item.url or "notifications:inbox")
