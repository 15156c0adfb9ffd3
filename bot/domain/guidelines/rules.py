"""The group agreements a new server starts with.

Drawn from peer-support practice (twelve-step shares, Rutsch's empathy circles, support-group facilitation
guides): confidentiality, speaking from your own experience, listening without fixing, one voice at a time,
the right to pass, respect without judgement, and looking after yourself. Admins edit them with ``/rules``;
these are only where a server starts. Each line is shown on its own, so each one reads as a whole sentence.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

DEFAULT_RULES: tuple[str, ...] = (
    "What is shared here stays here. Hold each other's stories with care and don't repeat them outside the circle.",
    'Speak from your own experience. Say "I" rather than "you" or "everyone".',
    "Listen without fixing. Please don't give advice unless someone asks for it.",
    "One voice at a time: no cross-talk while someone is holding the turn.",
    "It's okay to pass. You never have to share, and you never have to say why.",
    "Respect each person as they are. No judgement and no put-downs.",
    "Take care of yourself. You can step out whenever you need to, and come back when you're ready.",
)
