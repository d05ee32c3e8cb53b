"""QRIS payloads: the EMVCo merchant-presented QR (MPM) as Bank Indonesia's QRIS uses it.

A payload is a run of TLV fields: a 2-digit tag, a 2-digit length, the value. We build a
*dynamic* payload per payment (tag 01 = ``12``): 00 format ``01``; 26 the acquirer's merchant
account information; 51 the QRIS national merchant id (sub-tag 00 ``ID.CO.QRIS.WWW``, 02 the
NMID, 03 the merchant criteria); 52 the merchant category code; 53 ``360`` (rupiah); 54 the
amount; 58 ``ID``; 59 merchant name; 60 city; 61 postal code; 62 additional data with 01 the
bill number (our order id); 63 the CRC last. The CRC is CRC-16/CCITT-FALSE (poly 0x1021, init
0xFFFF, no reflection) over the whole payload up to and including ``6304``, written as four
upper-case hex digits.

Written here rather than taken from a library: the format is a page of rules and the
libraries on the index either target other national schemes or do not validate.
"""

from __future__ import annotations

from dataclasses import dataclass

QRIS_GUI = "ID.CO.QRIS.WWW"
CURRENCY_IDR = "360"
MAX_PAYLOAD = 512


class InvalidQris(ValueError):
    """A payload that is not a well-formed QRIS (the message says what is wrong)."""


def crc16_ccitt_false(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def tlv(tag: str, value: str) -> str:
    if len(tag) != 2 or not tag.isdigit():
        raise InvalidQris(f"tag {tag!r}")
    if not value or len(value) > 99:
        raise InvalidQris(f"tag {tag}: length {len(value)}")
    return f"{tag}{len(value):02d}{value}"


def parse_tlv(text: str) -> list[tuple[str, str]]:
    """The TLV fields of ``text`` in order; refuses a truncated or malformed run."""
    fields, at = [], 0
    while at < len(text):
        if at + 4 > len(text):
            raise InvalidQris("truncated field header")
        tag, length = text[at : at + 2], text[at + 2 : at + 4]
        if not (tag.isdigit() and length.isdigit()):
            raise InvalidQris("field header is not numeric")
        end = at + 4 + int(length)
        if end > len(text) or int(length) == 0:
            raise InvalidQris(f"tag {tag}: bad length")
        fields.append((tag, text[at + 4 : end]))
        at = end
    return fields


@dataclass(frozen=True)
class Merchant:
    name: str
    city: str
    nmid: str  # the QRIS national merchant id (ID10…)
    acquirer_gui: str = "ID.CO.BANKSUMUT.WWW"
    merchant_pan: str = "936011170000000001"
    mcc: str = "4900"  # utilities (water)
    criteria: str = "UBE"
    postal_code: str = ""


def build(merchant: Merchant, *, amount: int, bill_number: str) -> str:
    """A dynamic QRIS payload for ``amount`` rupiah, with ``bill_number`` in tag 62/01."""
    if not isinstance(amount, int) or amount <= 0 or amount > 9_999_999_999_999:
        raise InvalidQris("amount")
    body = "".join(
        [
            tlv("00", "01"),
            tlv("01", "12"),
            tlv(
                "26",
                tlv("00", merchant.acquirer_gui)
                + tlv("01", merchant.merchant_pan)
                + tlv("02", merchant.nmid)
                + tlv("03", merchant.criteria),
            ),
            tlv(
                "51", tlv("00", QRIS_GUI) + tlv("02", merchant.nmid) + tlv("03", merchant.criteria)
            ),
            tlv("52", merchant.mcc),
            tlv("53", CURRENCY_IDR),
            tlv("54", str(amount)),
            tlv("58", "ID"),
            tlv("59", merchant.name[:25]),
            tlv("60", merchant.city[:15]),
            tlv("61", merchant.postal_code) if merchant.postal_code else "",
            tlv("62", tlv("01", bill_number[:25])),
        ]
    )
    head = body + "6304"
    return head + f"{crc16_ccitt_false(head.encode()):04X}"


@dataclass(frozen=True)
class QrisData:
    dynamic: bool
    amount: int | None
    currency: str
    country: str
    merchant_name: str
    merchant_city: str
    nmid: str
    bill_number: str
    fields: dict


def parse(payload: str) -> QrisData:
    """Validate and read a QRIS payload: TLV well-formed, CRC right, the mandatory fields
    present with their fixed values. Raises ``InvalidQris`` with what is wrong."""
    if not isinstance(payload, str) or not payload or len(payload) > MAX_PAYLOAD:
        raise InvalidQris("empty or overlong payload")
    if not payload.isascii() or not payload.isprintable():
        raise InvalidQris("payload must be printable ASCII")
    fields = parse_tlv(payload)
    tags = [tag for tag, _ in fields]
    if not tags or tags[0] != "00" or fields[0][1] != "01":
        raise InvalidQris("tag 00 must come first with 01")
    if tags[-1] != "63" or len(fields[-1][1]) != 4:
        raise InvalidQris("tag 63 (CRC) must come last with 4 digits")
    expected = f"{crc16_ccitt_false(payload[:-4].encode()):04X}"
    if payload[-4:].upper() != expected:
        raise InvalidQris("CRC mismatch")
    if len(set(tags)) != len(tags):
        raise InvalidQris("a tag appears twice")
    values = dict(fields)
    for tag in ("01", "52", "53", "58", "59", "60"):
        if tag not in values:
            raise InvalidQris(f"tag {tag} missing")
    if values["01"] not in ("11", "12"):
        raise InvalidQris("tag 01 must be 11 or 12")
    if values["53"] != CURRENCY_IDR or values["58"] != "ID":
        raise InvalidQris("currency must be 360 and country ID")
    nmid = ""
    for tag in (f"{n:02d}" for n in range(26, 52)):
        if tag in values:
            sub = dict(parse_tlv(values[tag]))
            if sub.get("00", "").upper() == QRIS_GUI:
                nmid = sub.get("02", "")
    if not nmid:
        raise InvalidQris(f"no merchant account information with {QRIS_GUI}")
    amount = None
    if "54" in values:
        raw = values["54"]
        try:
            amount_value = float(raw)
        except ValueError:
            raise InvalidQris("amount is not a number") from None
        if amount_value <= 0 or amount_value != int(amount_value):
            raise InvalidQris("amount must be whole rupiah above zero")
        amount = int(amount_value)
    dynamic = values["01"] == "12"
    if dynamic and amount is None:
        raise InvalidQris("a dynamic QRIS needs an amount")
    bill_number = dict(parse_tlv(values["62"])).get("01", "") if "62" in values else ""
    return QrisData(
        dynamic=dynamic,
        amount=amount,
        currency=values["53"],
        country=values["58"],
        merchant_name=values["59"],
        merchant_city=values["60"],
        nmid=nmid,
        bill_number=bill_number,
        fields=values,
    )
