"""One HTTP transport for the HTTP-speaking adapters (WhatsApp Cloud API, the SMS gateway):
the same fault means the same thing to the outbox, whichever provider it came from.

``HttpTransport.post`` sends one request with a pooled ``httpx.Client`` and turns every way
it can go wrong into the provider interface's errors (``base.ProviderError`` /
``ProviderUnavailable``):

======================================  ===================================================
what happened                           what the outbox does (code)
======================================  ===================================================
connection refused, DNS failure,        ``ProviderUnavailable`` (``<name>_unreachable``):
connect timeout                         the request never left, the provider is away —
                                        pause it, keep every message
read/write/pool timeout                 retryable (``timeout``): it may have been accepted;
                                        the retry carries the same idempotency key
connection reset, broken response       retryable (``transport_error``), same reasoning
5xx                                     retryable (``<name>_<provider code>`` or
                                        ``http_<status>``), ``Retry-After`` honoured
429                                     retryable, ``Retry-After`` honoured
401, 403, or a credential code          ``ProviderUnavailable``: every send would fail the
                                        same way, so pause instead of failing the queue
a provider code listed as retryable     retryable, even under a 4xx (Meta's throttling)
a provider code listed as permanent     permanent, with *our* code (``permanent_codes``:
                                        WhatsApp 131047 → ``outside_service_window``)
any other 4xx                           permanent (the message is FAILED)
a 2xx whose body lacks the id           retryable (``bad_response``): accepted or not, we
                                        cannot tell, the idempotency key keeps it single
======================================  ===================================================

A connect timeout is "unreachable", not "retry": nothing was sent, and hammering a host that
does not answer SYNs message by message would only burn the batch's attempts.

Neither the URL's query, the request body nor the response body is ever logged; the log line
of a refusal carries the provider's name, our code and the HTTP status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping

import httpx

from amanah.messaging.providers import callbacks
from amanah.messaging.providers.base import ProviderError, ProviderUnavailable

logger = logging.getLogger(__name__)

ProviderCode = str | int | None


class HttpTransport:
    """A pooled HTTP client and the error mapping above, for one provider.

    ``name`` prefixes codes (``whatsapp_131026``, ``sms_INVALID_NUMBER``, ``sms_unreachable``);
    ``error_code(response)`` reads the provider's own error code from a refusal (None when
    there is none); the three code sets refine the HTTP status as the table says.
    """

    def __init__(
        self,
        name: str,
        *,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        headers: Mapping[str, str] | None = None,
        error_code: Callable[[httpx.Response], ProviderCode] | None = None,
        retryable_codes: Collection = (),
        credential_codes: Collection = (),
        permanent_codes: Mapping | None = None,
    ):
        self.name = name
        self._error_code = error_code or (lambda response: None)
        self.retryable_codes = frozenset(retryable_codes)
        self.credential_codes = frozenset(credential_codes)
        self.permanent_codes = dict(permanent_codes or {})
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, connect_timeout)),
            headers=dict(headers or {}),
        )

    def post(self, url: str, **request) -> httpx.Response:
        """The 2xx response, or the mapped ``ProviderError``."""
        try:
            response = self._client.post(url, **request)
        except httpx.HTTPError as exc:
            raise transport_error(self.name, exc) from exc
        if response.is_success:
            return response
        raise self.refusal(response)

    def refusal(self, response: httpx.Response) -> ProviderError:
        provider_code = self._error_code(response)
        retry_after = callbacks.retry_after_seconds(response.headers.get("Retry-After"))
        error = classify(
            self.name,
            response.status_code,
            provider_code,
            retry_after=retry_after,
            retryable_codes=self.retryable_codes,
            credential_codes=self.credential_codes,
            permanent_codes=self.permanent_codes,
        )
        error.http_status = response.status_code  # for adapters that care (Web Push: 410)
        logger.warning("%s send refused: %s (HTTP %s)", self.name, error.code, response.status_code)
        return error

    def close(self) -> None:
        self._client.close()


def transport_error(name: str, exc: httpx.HTTPError) -> ProviderError:
    """What a failed exchange (no HTTP answer at all) means to the outbox."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.UnsupportedProtocol):
        return ProviderUnavailable(f"{name}_unreachable")
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError("timeout", retryable=True)
    return ProviderError("transport_error", retryable=True)


def classify(
    name: str,
    status: int,
    provider_code: ProviderCode = None,
    *,
    retry_after: float | None = None,
    retryable_codes: Collection = (),
    credential_codes: Collection = (),
    permanent_codes: Mapping | None = None,
) -> ProviderError:
    """An HTTP refusal (``status`` ≥ 400) as a ``ProviderError``; see the module table."""
    permanent_codes = permanent_codes or {}
    if provider_code is not None and provider_code in permanent_codes:
        return ProviderError(permanent_codes[provider_code], retryable=False)
    code = f"{name}_{provider_code}" if provider_code not in (None, "") else f"http_{status}"
    if status in (401, 403) or (provider_code is not None and provider_code in credential_codes):
        return ProviderUnavailable(code, retry_after=retry_after)
    retryable = (
        status == 429
        or status >= 500
        or (provider_code is not None and provider_code in retryable_codes)
    )
    return ProviderError(code, retryable=retryable, retry_after=retry_after)
