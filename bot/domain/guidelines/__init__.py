"""Community guidelines: the group's agreements, word filters, the warning ladder and the AutoMod mirror.

Pure rules, no Discord: the guidelines cog asks the crisis screen first (a person in crisis is never
punished), then uses :class:`FilterSet` to see which filters a message trips, and the ladder functions to
decide what a warning leads to.
"""

from .automod import MAX_AUTOMOD_KEYWORD_LENGTH, MAX_AUTOMOD_KEYWORDS, AutoModPlan, plan_automod
from .filters import (
    MAX_PATTERN_LENGTH,
    MAX_PHRASE_LENGTH,
    FilterAction,
    FilterHit,
    FilterInputError,
    FilterKind,
    FilterRule,
    FilterScope,
    FilterSet,
    compile_pattern,
    strongest_action,
    validate_phrase,
)
from .folding import normalize
from .ladder import (
    DEFAULT_LADDER,
    DEFAULT_WARNING_POINTS,
    LADDER_EXAMPLE,
    MAX_TIMEOUT,
    WARNING_EXPIRY,
    LadderAction,
    LadderError,
    LadderRung,
    WarningRecord,
    active_points,
    can_warn,
    describe_duration,
    describe_ladder,
    format_ladder,
    parse_ladder,
    rung_for,
    validate_ladder,
)
from .rules import DEFAULT_RULES, MAX_RULE_LENGTH, MAX_RULES, RulesError, numbered, parse_rules

__all__ = [
    "DEFAULT_LADDER",
    "DEFAULT_RULES",
    "DEFAULT_WARNING_POINTS",
    "LADDER_EXAMPLE",
    "MAX_AUTOMOD_KEYWORDS",
    "MAX_AUTOMOD_KEYWORD_LENGTH",
    "MAX_PATTERN_LENGTH",
    "MAX_PHRASE_LENGTH",
    "MAX_RULES",
    "MAX_RULE_LENGTH",
    "MAX_TIMEOUT",
    "WARNING_EXPIRY",
    "AutoModPlan",
    "FilterAction",
    "FilterHit",
    "FilterInputError",
    "FilterKind",
    "FilterRule",
    "FilterScope",
    "FilterSet",
    "LadderAction",
    "LadderError",
    "LadderRung",
    "RulesError",
    "WarningRecord",
    "active_points",
    "can_warn",
    "compile_pattern",
    "describe_duration",
    "describe_ladder",
    "format_ladder",
    "normalize",
    "numbered",
    "parse_ladder",
    "parse_rules",
    "plan_automod",
    "rung_for",
    "strongest_action",
    "validate_ladder",
    "validate_phrase",
]
