"""No identifier in any log line: access log without query strings, and a masking filter on
every handler (settings.LOGGING and gunicorn's loggers)."""

from __future__ import annotations

import datetime as dt
import io
import logging
import sys

import pytest
from django.conf import settings
from django.test import Client
from django.utils.log import configure_logging
from gunicorn.config import Config

from amanah import gunicorn_conf
from amanah.conftest import sign_in
from amanah.core.actors import SystemActor
from amanah.core.logfilters import MaskIdentifiersFilter, mask
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create
from amanah.iam import services as iam

NIK = "1271012304850003"
PHONE = "081370002002"
EMAIL = "siti.aminah@mail.co.id"
CIF = "CIF777123"


@pytest.mark.parametrize(
    "text",
    [
        f"q={NIK}",
        "nik 1271 0123 0485 0003",
        "call +62 813-7000-2002 now",
        "call 6281370002002",
        f"phone={PHONE}&x=1",
        "0813.7000.2002",
        f"mail {EMAIL}",
        "q=siti.aminah%40mail.co.id",
        f"cif={CIF}",
        "account 1234567890",
        "account 123-456-7890",
    ],
)
def test_mask_hides_each_kind_of_identifier(text):
    masked = mask(text)
    digits = "".join(ch for ch in masked if ch.isdigit())
    assert len(digits) < 6 and "@" not in masked and "%40" not in masked, masked


@pytest.mark.parametrize(
    "text",
    [
        "GET /customers/3f2b8c1e-1234-4a5b-9c8d-123456789012/ 200",
        "sweep took 2026-11-23 09:12:08, 1500 cases, 250ms",
        "worker 12345 started",
    ],
)
def test_mask_leaves_ids_dates_and_counts_alone(text):
    assert mask(text) == text


def test_filter_masks_arguments_and_tracebacks():
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "search %s by %s", (NIK, EMAIL), None
    )
    try:
        raise ValueError(f"Key (nik)=({NIK}) already exists")
    except ValueError:
        record.exc_info = sys.exc_info()
    assert MaskIdentifiersFilter().filter(record) is True
    assert NIK not in record.getMessage() and EMAIL not in record.getMessage()
    assert NIK not in logging.Formatter().format(record)
    assert "already exists" in record.exc_text


def test_every_configured_handler_masks():
    declared = settings.LOGGING["handlers"]
    assert declared and all("mask_identifiers" in h.get("filters", []) for h in declared.values())
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)  # as django.setup() does
    handlers = [h for lg in _all_loggers() for h in lg.handlers if not _is_pytest_handler(h)]
    assert handlers
    assert all(any(isinstance(f, MaskIdentifiersFilter) for f in h.filters) for h in handlers)


def _gunicorn_access_line(path: str, query: str) -> str:
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", gunicorn_conf.access_log_format)
    logger = gunicorn_conf.MaskingLogger(cfg)
    out = io.StringIO()
    for handler in logger.access_log.handlers:
        handler.setStream(out)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{path}?{query}",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"http://localhost{path}?{query}",
        "HTTP_USER_AGENT": "test",
    }

    class Response:
        status, sent, headers = "200 OK", 10, []

    logger.access(Response(), {}, environ, dt.timedelta(milliseconds=5))
    return out.getvalue()


@pytest.mark.parametrize(
    "path",
    [
        "/survei/IjNmMmI4YzFlLTEyMzQtNGE1Yi05YzhkLTEyMzQ1Njc4OTAxMiI:1vNqXa:Q2xhcmsta2V5X3g",
        "/survei/IjNmMmI4%3A1vNqXa%3AQ2xhcmsta2V5",  # as a proxy may encode it
    ],
)
def test_a_survey_link_token_never_reaches_the_access_log(path):
    token = path.removeprefix("/survei/")
    line = _gunicorn_access_line(path, "")
    assert "GET /survei/[token] HTTP/1.1" in line and token not in line
    assert mask(f"Not Found: {path}") == "Not Found: /survei/[token]"


def test_the_survey_pages_that_are_no_tokens_stay_readable():
    for path in ("/survei/terima-kasih/", "/survei/laporan/", "/survei/laporan/cabang/x/"):
        assert mask(f"GET {path} 200") == f"GET {path} 200"


def test_gunicorn_access_log_has_the_path_but_never_the_query_string():
    line = _gunicorn_access_line("/customers/", f"q={NIK}&email={EMAIL}")
    assert "GET /customers/ HTTP/1.1" in line
    assert NIK not in line and EMAIL not in line and "q=" not in line


def _all_loggers():
    return [logging.root, *(logging.getLogger(n) for n in logging.root.manager.loggerDict)]


def _is_pytest_handler(handler) -> bool:
    return type(handler).__module__.startswith("_pytest")


@pytest.fixture
def everything_logged(caplog):
    """caplog at DEBUG for every logger — nothing filtered, so the test sees raw records."""
    for lg in _all_loggers():
        caplog.set_level(logging.DEBUG, logger=lg.name if lg is not logging.root else None)
    return caplog


def test_search_and_360_leave_no_identifier_in_any_log_record(
    everything_logged, make_user, branch_a, settings
):
    settings.SEARCH_RATE_LIMIT_PER_MINUTE = 1000
    customer = customer_create(
        actor=SystemActor("t"),
        data=CustomerInput(
            full_name="Hj. Siti Aminah Nasution",
            home_branch=branch_a,
            phone=PHONE,
            email=EMAIL,
            nik=NIK,
            cif=CIF,
            gender="M",
        ),
    )
    user = make_user(R.AGENT, branches=[branch_a])
    client = sign_in(Client(), user)
    token = iam.api_token_create(actor=SystemActor("t"), user=user, role="AGENT", name="t")[1]
    identifiers = [NIK, PHONE, "81370002002", EMAIL, CIF]
    for term in identifiers:
        assert client.get("/customers/", {"q": term}).status_code == 200
        assert client.get("/customers/", {"q": term}, HTTP_HX_REQUEST="true").status_code == 200
        api = Client().get(
            "/api/v1/customers/search", {"q": term}, HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        assert api.status_code == 200
    for path in (f"/customers/{customer.pk}/", f"/customers/{customer.pk}/timeline/"):
        assert client.get(path).status_code == 200
    client.get("/customers/not-a-uuid/", {"q": NIK})  # a 404 is logged too
    logged = everything_logged.text + "\n".join(r.getMessage() for r in everything_logged.records)
    assert everything_logged.records, "the capture saw nothing: the test could not fail"
    for identifier in identifiers:
        assert identifier not in logged
