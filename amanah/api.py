"""The REST API at /api/v1 (django-ninja, OpenAPI at /api/v1/openapi.json)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import NinjaAPI

from amanah.core.api import DenyAll
from amanah.core.errors import ServiceError
from amanah.core.policies import API_DOCS_VIEW
from amanah.core.views import requires

api = NinjaAPI(
    title="Amanah CRM API",
    version="1",
    urls_namespace="api",
    auth=DenyAll(),
    docs_decorator=requires(API_DOCS_VIEW),
    description="Every operation needs a bearer token (created by ADMIN) and the permission "
    "named in its `x-permission`. Missing and out-of-scope objects both answer 404.",
)


@api.exception_handler(ServiceError)
def service_error(request, exc: ServiceError):
    return api.create_response(
        request, {"code": exc.code, "message": exc.message, "field": exc.field}, status=400
    )


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return api.create_response(request, {"code": "forbidden", "message": "Forbidden"}, status=403)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"code": "not_found", "message": "Not found"}, status=404)


def _register_routers() -> None:
    from amanah.audit.api import router as audit_router
    from amanah.cases.api import router as cases_router
    from amanah.customers.api import router as customers_router
    from amanah.iam.api import router as iam_router
    from amanah.sales.api import router as sales_router

    api.add_router("/", iam_router)
    api.add_router("/audit", audit_router)
    api.add_router("/customers", customers_router)
    api.add_router("/cases", cases_router)
    api.add_router("/sales", sales_router)


_register_routers()
