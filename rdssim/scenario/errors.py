"""The one error type for bad scenario input, and the warning for odd but runnable input."""

from __future__ import annotations

from dataclasses import dataclass


def _render(
    message: str, file: str | None, line: int | None, key_path: str | None, hint: str | None
) -> str:
    # An error in a --set or --grid value has no file of its own: the path says where.
    where = file or ("" if key_path and key_path.startswith(("--set", "--grid")) else "<scenario>")
    if line is not None:
        where += f":{line}"
    text = f"{where}: " if where else ""
    if key_path:
        text += f"{key_path}: "
    text += message
    if hint:
        text += f"\n  hint: {hint}"
    return text


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
        return _render(self.message, self.file, self.line, self.key_path, self.hint)


@dataclass(frozen=True)
class ScenarioWarning:
    """Something valid that will not do what its author probably wants (the run ends before
    a fault can be noticed, say); located like a ScenarioError, printed, and the run goes on."""

    message: str
    file: str | None = None
    line: int | None = None
    key_path: str | None = None
    hint: str | None = None

    def render(self) -> str:
        return _render(self.message, self.file, self.line, self.key_path, self.hint)
