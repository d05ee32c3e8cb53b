from django.urls import include, path
from django.views.generic import RedirectView

from amanah.api import api
from amanah.core.policies import API_DOCS_VIEW
from amanah.core.views import requires

# Ninja needs a route named api-root; ours sends people to the docs, under the docs' permission,
# so that no route is left without a declared permission.
_api_root = requires(API_DOCS_VIEW)(RedirectView.as_view(pattern_name="api:openapi-view"))
_api_patterns, _api_app, _api_namespace = api.urls
_api_patterns = [
    path("", _api_root, name=p.name) if str(p.pattern) == "" else p for p in _api_patterns
]

urlpatterns = [
    # First: the gateways' callbacks (hundreds a second) resolve before the hundreds of page
    # patterns are tried (no other pattern starts with this prefix).
    path("webhooks/payments/", include("amanah.payments.urls_webhooks")),
    path("", include("amanah.core.urls")),
    path("", include("amanah.iam.urls")),
    path("audit/", include("amanah.audit.urls")),
    path("customers/", include("amanah.customer360.urls")),
    path("customers/", include("amanah.customers.urls")),
    path("calendars/", include("amanah.calendars.urls")),
    path("cases/", include("amanah.cases.urls")),
    path("followup/", include("amanah.followup.urls")),
    path("lapangan/", include("amanah.fieldops.urls")),
    path("break-glass/", include("amanah.breakglass.urls")),
    path("sales/", include("amanah.sales.urls")),
    path("marketing/", include("amanah.marketing.urls")),
    path("journeys/", include("amanah.journeys.urls")),
    path("messaging/", include("amanah.messaging.urls")),
    path("insight/", include("amanah.insight.urls")),
    path("dasbor/", include("amanah.dashboards.urls")),
    path("pdp/", include("amanah.privacy.urls")),
    path("notifications/", include("amanah.notifications.urls")),
    path("workflow/", include("amanah.workflow.urls")),
    path("documents/", include("amanah.documents.urls")),
    path("pengetahuan/", include("amanah.knowledge.urls")),
    path("jurnal/", include("amanah.ledger.urls")),
    path("air/", include("amanah.utility.urls")),
    path("faq/", include("amanah.knowledge.urls_public")),
    path("integrasi/", include("amanah.integrations.urls")),
    path("webhooks/", include("amanah.messaging.urls_webhooks")),
    path("pembayaran/", include("amanah.payments.urls")),
    path("berhenti/", include("amanah.consent.urls")),
    path("preferensi-kontak/", include("amanah.consent.urls_preferences")),
    path("survei/", include("amanah.surveys.urls")),
    path("api/v1/", (_api_patterns, _api_app, _api_namespace)),
]

handler400 = "amanah.core.views.error_400"
handler403 = "amanah.core.views.error_403"
handler404 = "amanah.core.views.error_404"
handler500 = "amanah.core.views.error_500"
