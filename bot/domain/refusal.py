"""The one shape of "no" that every rule of the domain gives: a key naming the sentence, and the sentence.

A rule that refuses a request raises `Refusal`. The key is stable (`circle.holder_only`, `filter.too_long`, ...):
it is what a translation or a test looks up, and what a caller checks when it must tell two refusals apart. The
message is the English sentence with its blanks filled; the shell shows it privately, as it is (`bot/replies.py`),
so a rule's words stay warm and plain and never hold an id or a traceback.
"""

from __future__ import annotations

from typing import Any


class Refusal(Exception):
    """A request a rule does not allow. `message` is one kind sentence for the person; `key` names it."""

    def __init__(self, key: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.key = key
        self.message = message
        self.params = params

    def __repr__(self) -> str:
        return f"Refusal({self.key!r}, {self.message!r})"
