"""Every write of the follow-up desk except the sweep (``sweep.py``), split by topic: the agents
and their order (``desk``), members — enrolment, deposits, the target met (``members``), the
other ways out and a merge (``exits``), the follow-up log (``logs``). Keyword-only, actor
first; permission and scope, validation, write, event, audit — in one transaction.

There is deliberately no service that moves a member to an agent of someone's choosing
(DESIGN §6: no manual move for anyone, ADMIN included); agents change only in ``assign.py``.
"""

from amanah.followup.assign import ACTOR
from amanah.followup.services.desk import (
    AGENT_ADDED,
    AGENT_CAPACITY_SET,
    MAX_CAPACITY,
    ORDER_SET,
    desk_agent_add,
    desk_agent_capacity_set,
    desk_order_set,
)
from amanah.followup.services.enrolment import (
    ImportResult,
    member_import,
    members_enrol_many,
)
from amanah.followup.services.exits import MEMBER_EXITED, member_exit
from amanah.followup.services.logs import LOG_ADDED, followup_log_add
from amanah.followup.services.members import (
    DEPOSIT_RECORDED,
    FUTURE_SKEW,
    MAX_AMOUNT,
    MEMBER_ENROLLED,
    DepositResult,
    deposit_record,
    member_enrol,
)

__all__ = [
    "ACTOR",
    "AGENT_ADDED",
    "AGENT_CAPACITY_SET",
    "DEPOSIT_RECORDED",
    "FUTURE_SKEW",
    "LOG_ADDED",
    "MAX_AMOUNT",
    "MAX_CAPACITY",
    "MEMBER_ENROLLED",
    "MEMBER_EXITED",
    "ORDER_SET",
    "DepositResult",
    "ImportResult",
    "deposit_record",
    "desk_agent_add",
    "desk_agent_capacity_set",
    "desk_order_set",
    "followup_log_add",
    "member_enrol",
    "member_exit",
    "member_import",
    "members_enrol_many",
]
