"""Read a scenario file and parse its YAML once, within limits that no real scenario reaches.

A scenario is a few kilobytes of hand-written YAML. What is not (a FIFO with no writer,
/dev/zero, a directory, a 5 MB file, a "billion laughs" alias bomb, nesting thousands of
levels deep) must be refused quickly with a located message, before anything expands it:

* only regular files are read (opened non-blocking, so a FIFO cannot hang the open), at most
  ``MAX_FILE_BYTES``;
* the YAML is parsed once, by libyaml where PyYAML has it (``CParser``), into a node tree
  whose depth is at most ``MAX_DEPTH`` and whose size *with every alias expanded* is at most
  ``MAX_NODES`` (aliases share nodes, so the tree itself stays small while what it stands for
  may not: pydantic and deep copies would expand it);
* the node tree serves three readers: the duplicate-key check, the constructor (SafeLoader's
  rules: plain data only) and the line numbers of error messages.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator, Sequence
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, SequenceNode
from yaml.resolver import Resolver

from rdssim.scenario.errors import ScenarioError

MAX_FILE_BYTES = 1 << 20
MAX_DEPTH = 40
MAX_NODES = 250_000

PathKey = tuple[str | int, ...]


def _missing_hint(file: str) -> str:
    """A bare name close to a bundled scenario's suggests it (multi_az_failvoer)."""
    from rdssim.bundled import bundled_names
    from rdssim.scenario.wording import close_matches

    if "/" in file or os.sep in file:
        return "check the path"
    found = close_matches(file.removesuffix(".yaml"), bundled_names(), n=1)
    if not found:
        return "check the path"
    return f"did you mean the bundled scenario {found[0]!r}? (rdssim list shows them)"


def read_text(path: str | os.PathLike[str]) -> str:
    """The text of a regular scenario file; ScenarioError for anything else."""
    file = os.fspath(path)
    try:
        # O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting.
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise ScenarioError("no such file", file=file, hint=_missing_hint(file)) from None
    except IsADirectoryError:
        raise ScenarioError("is a directory, not a scenario file", file=file) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read the file ({exc.strerror or exc})", file=file) from None
    except ValueError:  # a NUL in the name: no file can have it
        raise ScenarioError("no such file (the name holds a NUL)", file=repr(file)) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise ScenarioError("is a directory, not a scenario file", file=file)
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device or socket"
        raise ScenarioError(f"is {kind}, not a regular file", file=file)
    with os.fdopen(fd, "rb") as handle:
        try:
            # One byte more than allowed tells a file that is too large (st_size may lie).
            data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            problem = exc.strerror or exc
            raise ScenarioError(f"cannot read the file ({problem})", file=file) from None
    if len(data) > MAX_FILE_BYTES:
        size = os.stat(file).st_size
        raise ScenarioError(
            f"the file is {size / (1 << 20):.1f} MiB; a scenario is at most "
            f"{MAX_FILE_BYTES >> 20} MiB",
            file=file,
            hint="a scenario is a few kilobytes of YAML; is this the right file?",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            f"not UTF-8 text (byte {exc.start} cannot be decoded)", file=file, line=line
        ) from None


class _Resolver(Resolver):
    """PyYAML's resolver, with YAML 1.2's floats: ``1e6`` is a number, not the string it is
    in YAML 1.1 (PyYAML wants ``1.0e6``); people write rates and sizes that way."""

    yaml_implicit_resolvers = {  # noqa: RUF012 - PyYAML's own class attribute
        k: list(v) for k, v in Resolver.yaml_implicit_resolvers.items()
    }


_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


class _LimitedComposer(Composer):
    """PyYAML's composer with a depth limit (its recursion would otherwise overflow)."""

    def __init__(self) -> None:
        Composer.__init__(self)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[attr-defined]
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", mark
                )
            node: Node | None = super().compose_node(parent, index)
            assert node is not None
            return node
        finally:
            self._depth -= 1


# libyaml parses many times faster than PyYAML's pure-Python parser.
_CParser: Any = getattr(yaml, "cyaml", None) and getattr(yaml.cyaml, "CParser", None)

if _CParser is not None:

    class _Loader(_LimitedComposer, _CParser, SafeConstructor, _Resolver):  # type: ignore[misc]
        def __init__(self, text: str) -> None:
            _CParser.__init__(self, text)
            _LimitedComposer.__init__(self)
            SafeConstructor.__init__(self)
            _Resolver.__init__(self)

else:  # pragma: no cover - PyYAML built without libyaml

    class _Loader(_LimitedComposer, yaml.SafeLoader, _Resolver):  # type: ignore[no-redef]
        yaml_implicit_resolvers = _Resolver.yaml_implicit_resolvers

        def __init__(self, text: str) -> None:
            yaml.SafeLoader.__init__(self, text)
            _LimitedComposer.__init__(self)


def _error(message: str, file: str, node: Node | None = None, **kw: Any) -> ScenarioError:
    line = node.start_mark.line + 1 if node is not None else None
    return ScenarioError(message, file=file, line=line, **kw)


def parse(text: str, file: str) -> tuple[Node | None, Any]:
    """(node tree, plain data) of YAML ``text``; ScenarioError for bad or oversized YAML."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        _check_tree(node, file)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"not valid YAML: {problem}", file=file, line=line) from None
    finally:
        loader.dispose()
    return node, data


def _children(node: Node) -> Iterator[tuple[str | int, Node]]:
    if isinstance(node, MappingNode):
        for key, value in node.value:
            yield str(key.value), key
            yield str(key.value), value
    elif isinstance(node, SequenceNode):
        yield from enumerate(node.value)


def _check_tree(root: Node | None, file: str) -> None:
    """Refuse a tree that expands beyond MAX_NODES, refers to itself, or repeats a key.

    One pass in document order; a node reached again through an alias is not walked again
    (its expanded size is remembered), so an alias bomb costs its size in the file, not the
    size it stands for.
    """
    if root is None:
        return
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    # Iterative depth-first walk: (node, key path, children iterator, size so far).
    stack: list[tuple[Node, PathKey, Iterator[tuple[str | int, Node]], int]] = []

    def enter(node: Node, path: PathKey) -> None:
        open_nodes.add(id(node))
        if isinstance(node, MappingNode):
            seen: set[str] = set()
            for key, _ in node.value:
                name = str(key.value)
                if name in seen and name != "<<":
                    raise _error(
                        "duplicate key (YAML would silently keep only the last one)",
                        file,
                        key,
                        key_path=format_path((*path, name)),
                    )
                seen.add(name)
        stack.append((node, path, _children(node), 1))

    enter(root, ())
    while stack:
        node, path, children, size = stack[-1]
        for key, child in children:
            if id(child) in open_nodes:
                raise _error("an alias refers to the node that contains it", file, child)
            known = sizes.get(id(child))
            if known is not None:
                size += known
                continue
            stack[-1] = (node, path, children, size)
            enter(child, (*path, key))
            break
        else:
            stack.pop()
            open_nodes.discard(id(node))
            sizes[id(node)] = size
            if size > MAX_NODES:
                raise _error(
                    f"the YAML expands to more than {MAX_NODES:,} values (aliases included)",
                    file,
                    node,
                    key_path=format_path(path) or None,
                    hint="an alias bomb? a scenario needs a few hundred values",
                )
            if stack:
                parent, parent_path, parent_children, parent_size = stack[-1]
                stack[-1] = (parent, parent_path, parent_children, parent_size + size)


def format_path(loc: Sequence[str | int]) -> str:
    """A key path as users write it: ``faults[1].target``."""
    text = ""
    for key in loc:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            text += f".{key}" if text else str(key)
    return text
