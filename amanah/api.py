"""The REST API at /api/v1 (django-ninja, OpenAPI at /api/v1/openapi.json)."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as ModelValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.errors import ValidationError as SchemaValidationError

from amanah.core import profiles
from amanah.core.api import DenyAll
from amanah.core.errors import ServiceError, error_body, error_headers, http_status_for
from amanah.core.fields import HOUSE_ERROR_CODES
from amanah.core.policies import API_DOCS_VIEW
from amanah.core.views import requires


class HouseAPI(NinjaAPI):
    """The API of this deployment: the operations of an app its profile hides answer 404
    (``core.profiles.hide_api_operations``) and are left out of the OpenAPI schema."""

    def get_openapi_schema(self, **kwargs):
        schema = super().get_openapi_schema(**kwargs)
        paths = {}
        for path, item in schema["paths"].items():
            kept = {
                method: operation
                for method, operation in item.items()
                if not profiles.hides_operation(operation.get("operationId", ""))
            }
            if kept:
                paths[path] = kept
        schema["paths"] = paths
        return schema


api = HouseAPI(
    title="Amanah CRM API",
    version="1",
    urls_namespace="api",
    auth=DenyAll(),
    docs_decorator=requires(API_DOCS_VIEW),
    description="Every operation needs a bearer token (created by ADMIN) and the permission "
    "named in its `x-permission`. Missing and out-of-scope objects both answer 404.",
)


def _answer(request, body: dict, status: int, headers: dict | None = None):
    response = api.create_response(request, body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(ServiceError)
def service_error(request, exc: ServiceError):
    return _answer(
        request,
        error_body(exc.code, exc.message, exc.field, **exc.details()),
        http_status_for(exc),
        error_headers(exc),
    )


@api.exception_handler(SchemaValidationError)
def invalid_input(request, exc: SchemaValidationError):
    """Wrong types, missing fields, overlong text, dates out of range: 422 in the one shape.
    The code is the house code of the first error that has one (``date_out_of_range``…)."""
    details = [
        {"loc": [str(p) for p in e.get("loc", ())], "type": e.get("type"), "msg": e.get("msg")}
        for e in exc.errors
    ]
    code = next((d["type"] for d in details if d["type"] in HOUSE_ERROR_CODES), "invalid_input")
    first = details[0] if details else {"loc": [], "msg": ""}
    field = next((p for p in reversed(first["loc"]) if not p.isdigit()), None)
    return _answer(request, error_body(code, first["msg"], field, errors=details), 422)


@api.exception_handler(ModelValidationError)
def invalid_model(request, exc: ModelValidationError):
    """A model's own validation that a service let through is still the caller's bad input."""
    field, messages = next(iter(getattr(exc, "message_dict", {"": exc.messages}).items()))
    return _answer(request, error_body("invalid", "; ".join(messages), field or None), 400)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    codes = {401: "unauthorized", 403: "forbidden", 404: "not_found", 429: "rate_limited"}
    return _answer(
        request, error_body(codes.get(exc.status_code, "error"), str(exc)), exc.status_code
    )


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return _answer(request, error_body("forbidden", "Forbidden"), 403)


@api.exception_handler(Http404)
def not_found(request, exc):
    return _answer(request, error_body("not_found", "Not found"), 404)


# Before the routers are added: every operation inherits it.
api.add_decorator(profiles.hide_api_operations, mode="view")


def _register_routers() -> None:
    from amanah.audit.api import router as audit_router
    from amanah.cases.api import router as cases_router
    from amanah.consent.api import router as consent_router
    from amanah.customer360.api import router as customer360_router
    from amanah.customers.api import router as customers_router
    from amanah.followup.api import router as followup_router
    from amanah.iam.api import router as iam_router
    from amanah.integrations.api import imports_router
    from amanah.integrations.api import router as intake_router
    from amanah.journeys.api import router as journeys_router
    from amanah.sales.api import router as sales_router

    api.add_router("/", iam_router)
    api.add_router("/audit", audit_router)
    api.add_router("/customers", customers_router)
    api.add_router("/customers", customer360_router)
    api.add_router("/customers", consent_router)
    api.add_router("/cases", cases_router)
    api.add_router("/sales", sales_router)
    api.add_router("/followup", followup_router)
    api.add_router("/intake", intake_router)
    api.add_router("/imports", imports_router)
    api.add_router("/journeys", journeys_router)


_register_routers()
