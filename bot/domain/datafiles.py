"""What every shipped data file loader raises when a file is malformed.

`python -m bot check` and the start-up path catch this one type and print the file and the problem, so a
broken prompt deck or resource file is named in plain words instead of surfacing as a traceback.
"""

from __future__ import annotations

from pathlib import Path


class DataFileError(Exception):
    """A shipped data file could not be read or did not pass its schema."""

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem
