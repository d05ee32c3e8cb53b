"""Complaints for tests: the one way tests of several apps register a case."""

from __future__ import annotations

from amanah.cases import services as cases

COMPLAINT = "Saldo terpotong tetapi transfer gagal, mohon dicek."


def complaint(agent, customer, *, any_branch: bool = False, **fields):
    """A complaint of ``customer`` taken by ``agent`` at the branch counter (a failed transfer,
    medium priority); ``fields`` change any part of its ``CaseInput``; ``any_branch``: taken
    for a customer of another branch (intake at any office)."""
    data = {
        "customer": customer,
        "channel": "BRANCH",
        "category_code": "TRX_FAIL",
        "priority": "MEDIUM",
        "description": COMPLAINT,
        **fields,
    }
    return cases.case_create(actor=agent, data=cases.CaseInput(**data), any_branch=any_branch)
