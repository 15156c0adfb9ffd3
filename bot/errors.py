"""The one error type a person may see, and reference codes for everything else."""

from __future__ import annotations

import secrets

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes get read aloud to facilitators


class UserFacingError(Exception):
    """An expected failure. Its message is shown to the person privately, as it is: keep it warm and plain."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def reference_code() -> str:
    """A short code that ties a kind 'something went wrong' reply to the logged traceback."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(6))


GENERIC_FAILURE = (
    "Sorry, something went wrong on my side and I couldn't do that. Nothing you did caused it. "
    "If it keeps happening, a server admin can look it up with reference **{code}**."
)
