"""The one error type for bad scenario input."""

from __future__ import annotations


class ScenarioError(Exception):
    """A problem in a scenario file, located by file, line and key path.

    ``str(error)`` reads ``file:line: key.path: message`` followed by an optional hint line,
    which is what the CLI prints before exiting with status 2.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key_path: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.key_path = key_path
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        where = self.file or "<scenario>"
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: "
        if self.key_path:
            text += f"{self.key_path}: "
        text += self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text
