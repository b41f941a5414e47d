"""How a deployed stage is run: API Gateway's throttling, where alarms are sent and what they fire on.

Each stage has defaults; its "operations" object in .chalice/config.json, and ``make package
ALARM_EMAIL=...``, change them, read and checked here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from infra.description.names import check_stage


@dataclass(frozen=True)
class Operations:
    """How a deployed stage is run: API Gateway's throttling and where alarms are sent."""

    throttle_rate_limit: float  # requests per second, steady
    throttle_burst_limit: int  # requests at once, above the steady rate
    alarm_email: str | None  # subscribed to the alarm topic (the address confirms it once)


# Defaults: dev is for trying things, prod for real traffic; a stage's "operations" object in
# .chalice/config.json changes any of them (throttle_rate_limit, throttle_burst_limit,
# alarm_email), and make package ALARM_EMAIL=... sets the address for one package.
OPERATIONS = {
    "dev": Operations(throttle_rate_limit=20, throttle_burst_limit=40, alarm_email=None),
    "prod": Operations(throttle_rate_limit=100, throttle_burst_limit=200, alarm_email=None),
}
# Alarm thresholds, over 5-minute periods (see the README's "Operating a stage").
ALARM_PERIOD_SECONDS = 300
API_5XX_RATE_THRESHOLD = 0.05  # a twentieth of the API's answers are 5xx
# The search promise: a note is found by a search that starts this long after its write answered.
INDEX_DELAY_SECONDS = 2


def operations(
    stage: str, config: Mapping[str, Any] | None = None, alarm_email: str | None = None
) -> Operations:
    """The stage's operations settings: the defaults, then ``config`` (the stage's "operations"
    object), then ``alarm_email``. Raises ValueError naming a bad setting."""
    if check_stage(stage) not in OPERATIONS:
        raise ValueError(f"stage {stage!r} is not deployed")
    chosen = OPERATIONS[stage]
    given = dict(config or {})
    unknown = set(given) - {"throttle_rate_limit", "throttle_burst_limit", "alarm_email"}
    if unknown:
        raise ValueError(f"unknown operations settings for stage {stage}: {', '.join(sorted(unknown))}")
    rate = given.get("throttle_rate_limit", chosen.throttle_rate_limit)
    burst = given.get("throttle_burst_limit", chosen.throttle_burst_limit)
    email = alarm_email or given.get("alarm_email", chosen.alarm_email) or None
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate <= 10_000:
        raise ValueError(
            f"throttle_rate_limit of stage {stage} must be 1 to 10,000 requests a second, got {rate!r}"
        )
    if isinstance(burst, bool) or not isinstance(burst, int) or not 0 < burst <= 5_000:
        raise ValueError(f"throttle_burst_limit of stage {stage} must be a whole 1 to 5,000, got {burst!r}")
    if email is not None and (
        not isinstance(email, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email)
    ):
        raise ValueError(f"alarm_email of stage {stage} is not an email address: {email!r}")
    return Operations(throttle_rate_limit=float(rate), throttle_burst_limit=burst, alarm_email=email)
