"""Who must act: the bodies a step or a clock can be attributed to."""

from __future__ import annotations

from enum import StrEnum


class Body(StrEnum):
    """A body that carries a statutory duty or an expected action."""

    LOCAL_AUTHORITY = "local_authority"
    SETTING = "setting"
    HEALTH = "health"
    SOCIAL_CARE = "social_care"
    FAMILY = "family"
    TRIBUNAL = "tribunal"
    MEDIATION = "mediation"
    NONE = "none"
