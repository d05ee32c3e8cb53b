"""Property tests: any signed payload parses or is refused as malformed (never an unexpected
error), and a signature holds for exactly the bytes it was made over."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from amanah.messaging.providers import callbacks, sms, whatsapp
from amanah.messaging.providers.callbacks import MalformedWebhook

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)
STATUS_WORDS = st.sampled_from(["sent", "delivered", "read", "failed", "deleted", "", "READ"])
# Cloud-API-shaped documents whose leaves are anything: the parser's hardest inputs.
SHAPED = st.fixed_dictionaries(
    {
        "entry": st.lists(
            st.fixed_dictionaries(
                {
                    "changes": st.lists(
                        st.fixed_dictionaries(
                            {
                                "value": st.fixed_dictionaries(
                                    {
                                        "statuses": st.lists(
                                            st.fixed_dictionaries(
                                                {
                                                    "id": JSON,
                                                    "status": STATUS_WORDS | JSON,
                                                    "timestamp": JSON,
                                                    "errors": JSON,
                                                }
                                            ),
                                            max_size=3,
                                        ),
                                        "messages": st.lists(JSON, max_size=3),
                                    }
                                )
                            }
                        )
                        | JSON,
                        max_size=3,
                    )
                }
            )
            | JSON,
            max_size=3,
        )
    }
)


def _parses_or_is_malformed(parse, document) -> None:
    try:
        batch = parse(document)
    except MalformedWebhook:
        return
    for update in batch.statuses:
        assert update.provider_message_id and update.at.tzinfo is not None
    for message in batch.inbound:
        assert callbacks.problem_free(message.text)


@settings(max_examples=300, deadline=None)
@given(JSON | SHAPED)
def test_any_whatsapp_payload_parses_or_is_malformed(document):
    _parses_or_is_malformed(whatsapp.parse_webhook, document)


@settings(max_examples=200, deadline=None)
@given(JSON | st.fixed_dictionaries({"events": st.lists(JSON, max_size=5)}))
def test_any_sms_payload_parses_or_is_malformed(document):
    _parses_or_is_malformed(sms.parse_webhook, document)


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1), st.binary(), st.data())
def test_a_signature_holds_for_exactly_its_bytes(secret, raw, data):
    header = callbacks.sign(secret, raw)
    assert callbacks.valid(secret, raw, header)
    assert callbacks.valid(secret, raw, header.upper().replace("SHA256=", "sha256="))
    if raw:
        at = data.draw(st.integers(0, len(raw) - 1))
        flipped = raw[:at] + bytes([raw[at] ^ 1]) + raw[at + 1 :]
        assert not callbacks.valid(secret, flipped, header)
    assert not callbacks.valid(secret + "x", raw, header)
    assert not callbacks.valid(secret, raw + b" ", header)


@given(st.text())
def test_text_with_any_character_survives_a_signed_round_trip(text):
    raw = json.dumps({"text": text}, ensure_ascii=False).encode(errors="surrogatepass")
    assert callbacks.valid("rahasia", raw, callbacks.sign("rahasia", raw))
