"""Small pieces of wording every feature writes the same way (one spelling of a turn's length)."""

from __future__ import annotations


def minutes(seconds: int) -> str:
    """A turn's length as people say it: "30 seconds", "1 minute", "2.5 minutes"."""
    value = seconds / 60
    if value < 1:
        return f"{seconds} seconds"
    text = f"{value:g}"
    return f"{text} minute" if text == "1" else f"{text} minutes"
