"""The fake gateway's simulator page (the demo's payer): it lists the orders, and *Bayar*
settles a pending one and sends its signed callback, as the gateway would; anything else is
refused. No database."""

from __future__ import annotations

import httpx

from amanah.payments.fakegateway.server import FakeGateway


def test_the_simulator_lists_orders_and_pays_a_pending_one():
    with FakeGateway(retries=0) as fake:
        status, _answer = fake.midtrans_charge(
            {
                "payment_type": "qris",
                "transaction_details": {"order_id": "PAY-<SIM>-1", "gross_amount": 125_000},
            }
        )
        assert status == 201
        page = httpx.get(f"{fake.url}/simulator")
        assert page.status_code == 200 and "PAY-&lt;SIM&gt;-1" in page.text  # escaped
        assert "<button>Bayar</button>" in page.text
        unknown = httpx.post(f"{fake.url}/simulator/pay", data={"order_id": "NOPE"})
        assert unknown.status_code == 404
        paid = httpx.post(f"{fake.url}/simulator/pay", data={"order_id": "PAY-<SIM>-1"})
        assert paid.status_code == 303 and paid.headers["Location"] == "/simulator"
        assert fake.orders["PAY-<SIM>-1"].status == "settlement"
        fake.wait_idle()
        assert [p.word for p in fake.posted][-1] == "settlement"  # its callback went out
        again = httpx.post(f"{fake.url}/simulator/pay", data={"order_id": "PAY-<SIM>-1"})
        assert again.status_code == 404  # paid once
