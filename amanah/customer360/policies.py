"""The 360 page declares no permission of its own: it shows what the lower apps allow
(customers.view, cases' ``timeline.sensitive``, iam's PII reveal …)."""
