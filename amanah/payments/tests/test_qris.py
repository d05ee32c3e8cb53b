from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amanah.payments import qris

MERCHANT = qris.Merchant(name="PDAM TIRTANADI", city="MEDAN", nmid="ID1020000000001")


def test_crc_is_ccitt_false_with_the_catalogue_check_value():
    # CRC-16/CCITT-FALSE of "123456789" is 0x29B1 (the CRC catalogue's check value).
    assert qris.crc16_ccitt_false(b"123456789") == 0x29B1
    assert qris.crc16_ccitt_false(b"") == 0xFFFF


def test_a_built_payload_has_the_emvco_fields_and_a_valid_crc():
    payload = qris.build(MERCHANT, amount=125_000, bill_number="AMN-261125-ABC")
    fields = dict(qris.parse_tlv(payload))
    assert fields["00"] == "01" and fields["01"] == "12"
    assert "0014ID.CO.QRIS.WWW" in fields["51"]
    assert fields["53"] == "360" and fields["54"] == "125000" and fields["58"] == "ID"
    assert fields["59"] == "PDAM TIRTANADI" and fields["60"] == "MEDAN"
    assert dict(qris.parse_tlv(fields["62"]))["01"] == "AMN-261125-ABC"
    assert payload.endswith(f"6304{qris.crc16_ccitt_false(payload[:-4].encode()):04X}")
    data = qris.parse(payload)
    assert (data.amount, data.nmid, data.bill_number, data.dynamic) == (
        125_000,
        "ID1020000000001",
        "AMN-261125-ABC",
        True,
    )


@given(
    amount=st.integers(min_value=1, max_value=10**12),
    bill=st.from_regex(r"[A-Z0-9\-]{1,25}", fullmatch=True),
)
def test_every_amount_and_bill_number_round_trips(amount, bill):
    data = qris.parse(qris.build(MERCHANT, amount=amount, bill_number=bill))
    assert (data.amount, data.bill_number) == (amount, bill)


def test_a_changed_character_breaks_the_crc():
    payload = qris.build(MERCHANT, amount=125_000, bill_number="AMN-1")
    tampered = payload.replace("54061250005802", "54061350005802")
    with pytest.raises(qris.InvalidQris, match="CRC"):
        qris.parse(tampered)


def _with_crc(body: str) -> str:
    head = body + "6304"
    return head + f"{qris.crc16_ccitt_false(head.encode()):04X}"


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ("", "empty"),
        ("0002", "bad length"),
        ("000201\x00", "printable"),
        (_with_crc("000201010212520449005303840540410005802ID5901A6001B"), "currency"),
        (_with_crc("000201010212520449005303360540410005802ID5901A6001B"), "ID.CO.QRIS.WWW"),
        (
            _with_crc(
                "00020101021251300014ID.CO.QRIS.WWW0208ID1020005204490053033605802ID5901A6001B"
            ),
            "needs an amount",
        ),
        (
            _with_crc(
                "000201010212"
                "51300014ID.CO.QRIS.WWW0208ID102000"
                "52044900530336054041.505802ID5901A6001B"
            ),
            "whole rupiah",
        ),
        ("6304ABCD", "tag 00"),
    ],
)
def test_malformed_payloads_are_refused_with_the_reason(payload, problem):
    with pytest.raises(qris.InvalidQris, match=problem):
        qris.parse(payload)
