from django.conf import settings
from procrastinate.contrib.django import app


@app.periodic(cron=settings.FIELDOPS_GENERATE_CRON, periodic_id="fieldops_generate")
@app.task(queue="fieldops", queueing_lock="fieldops_generate", lock="fieldops_generate")
def generate_job(timestamp: int) -> dict:
    """Once a day by default: work orders from every declared arrears source by the rule in
    ``FIELDOPS_RULE`` (off while ``min_days`` is 0), then the new ones assigned to their
    branch's agents, fewest open first. Idempotent: a second run makes and assigns nothing
    twice (one open work order per customer)."""
    from amanah.fieldops.generate import (
        GENERATOR,
        rule_clean,
        work_orders_assign,
        work_orders_generate_all,
    )

    rule_setting = settings.FIELDOPS_RULE
    if not rule_setting.get("min_days"):
        return {"skipped": "rule off"}
    rule = rule_clean(
        rule_setting["min_days"], rule_setting.get("min_amount", 0), rule_setting.get("segment")
    )
    created = work_orders_generate_all(actor=GENERATOR, rule=rule)
    return {"created": created, "assigned": work_orders_assign(actor=GENERATOR)}
