"""The test suite's configuration of the messaging channels and the payment gateways, loaded
by pytest before Django reads its settings (``-p amanah.testenv`` in pyproject.toml).

Tests are one configuration of the production code (DESIGN, "Production is the product"): they
set the same environment variables a deployment sets (``messaging.channel_settings``) — here
to the fake provider's credentials at a loopback port nothing listens on (a test that sends
starts its own fake or SMTP server and points the settings at it). A variable already set
wins; processes the tests start inherit the environment.
"""

from __future__ import annotations

import os

from amanah.messaging.fakeprovider.environment import channel_environment
from amanah.payments.fakegateway.environment import gateway_environment

NOBODY = 9  # the discard port: nothing listens, a connection is refused at once

for _name, _value in channel_environment(f"http://127.0.0.1:{NOBODY}", smtp_port=NOBODY).items():
    os.environ.setdefault(_name, _value)
# The payments at the fake gateway's keys, at the same refusing port (a test that pays starts
# its own fake gateway and points PAYMENT_GATEWAYS at it).
for _name, _value in gateway_environment(f"http://127.0.0.1:{NOBODY}").items():
    os.environ.setdefault(_name, _value)
