"""The crisis screen: reads a message, returns a tier (0-3) and categories. Pure, offline, no Discord.

    from bot.domain.crisis import Screen
    screen = Screen.load()                  # data/crisis/lexicon.toml; DataFileError if malformed
    finding = screen.check("i want to die")  # Finding(tier=2, categories=("ideation_passive",))
    finding.flagged                          # tier >= 2: the member gets a private, kind message

Tiers: 3 imminent (plan, method, means, timing, goodbye, attempt in progress, someone else at immediate
risk); 2 ideation, present self-harm, or concern for a named other person; 1 distress without ideation;
0 nothing. See `screen.py` for how a message is read and `lexicon.py` for the data file.
"""

from bot.domain.crisis.folding import normalize
from bot.domain.crisis.lexicon import CATEGORIES, CONTEXT_KINDS, FLAGS, Lexicon, default_lexicon_path, load_lexicon
from bot.domain.crisis.screen import NOTHING, Finding, Screen

__all__ = [
    "CATEGORIES",
    "CONTEXT_KINDS",
    "FLAGS",
    "NOTHING",
    "Finding",
    "Lexicon",
    "Screen",
    "default_lexicon_path",
    "load_lexicon",
    "normalize",
]
