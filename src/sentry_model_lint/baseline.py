"""The baseline: today's findings, recorded so that adopting the linter on an old codebase starts
quiet, and only new findings are reported.

Entries are keyed by path (relative to the project root), code and the finding's stable symbol
(``Model.field``, ``migration:op-path``), never by line, so edits elsewhere in a file do not wake
old findings. A key holds a count: when a symbol has two findings of one code, fixing one leaves
one suppressed.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable

from sentry_model_lint.config import ConfigError
from sentry_model_lint.files import read_bytes, write_atomically
from sentry_model_lint.rules.base import Violation

FORMAT = 1
Key = tuple[str, str, str]
#: the baseline found at a project root without any configuration
DEFAULT_NAME = ".sentry-model-lint-baseline.json"


def configured_path(root: str, configured: str) -> str:
    """The baseline file that ``baseline = "..."`` in the configuration of ``root`` names.

    The configuration comes with the checkout (untrusted input: a branch or a fork linted in CI),
    so the file must stay inside the project: a path that leaves ``root`` (``../../x``, an
    absolute path elsewhere, or a symlink pointing out) is refused with a :class:`ConfigError`.
    """
    path = os.path.join(root, configured)
    check_inside(root, path, configured)
    return path


def baseline_location(root: str, configured: str | None) -> str:
    """Where the baseline of ``root`` lives: the configured file (confined to the root, see
    :func:`configured_path`), else :data:`DEFAULT_NAME` at the root."""
    return configured_path(root, configured or DEFAULT_NAME)


def check_inside(root: str, path: str, shown: str | None = None) -> None:
    """ConfigError unless ``path`` (symlinks resolved) lies inside ``root``."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    try:
        inside = os.path.commonpath([real_root, real]) == real_root and real != real_root
    except ValueError:  # other drive (Windows)
        inside = False
    if not inside:
        raise ConfigError(
            f"baseline {shown or path!r} is outside the project root {root}: the configured baseline must be a file inside the project"
        )


def key_of(relpath: str, violation: Violation) -> Key:
    return (relpath, violation.code, violation.symbol or f"line {violation.line}")


class Baseline:
    def __init__(self, path: str, entries: Counter[Key] | None = None) -> None:
        self.path = path
        self.entries: Counter[Key] = entries or Counter()
        self._used: Counter[Key] = Counter()

    @classmethod
    def load(cls, path: str, root: str | None = None) -> Baseline:
        """Read the baseline at ``path``; with ``root``, the path must lie inside it (a baseline
        the configuration names)."""
        if root is not None:
            check_inside(root, path)
        try:
            data = json.loads(read_bytes(path, root=root).decode("utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"baseline file {path} does not exist: create it with `sentry-model-lint baseline`") from None
        except RecursionError:
            raise ConfigError(f"baseline file {path} cannot be read: JSON nested too deep") from None
        except (OSError, ValueError) as exc:
            raise ConfigError(f"baseline file {path} cannot be read: {exc}") from None
        entries: Counter[Key] = Counter()
        try:
            if data.get("format") != FORMAT:
                raise ValueError(f"unknown format {data.get('format')!r}")
            for item in data["findings"]:
                key = (str(item["path"]), str(item["code"]), str(item["symbol"]))
                count = int(item.get("count", 1))  # 1e400: OverflowError, caught below
                if count < 1:
                    raise ValueError("count must be positive")
                entries[key] += count
        except (AttributeError, KeyError, TypeError, ValueError, OverflowError, RecursionError) as exc:
            raise ConfigError(f"baseline file {path} is not a sentry-model-lint baseline: {exc}") from None
        return cls(path, entries)

    @staticmethod
    def write(path: str, keys: Iterable[Key], root: str | None = None) -> int:
        """Write the baseline (mode 0644); with ``root``, ``path`` must lie inside it."""
        if root is not None:
            check_inside(root, path)
        counts = Counter(keys)
        findings = [{"path": p, "code": c, "symbol": s, "count": n} for (p, c, s), n in sorted(counts.items())]
        data = {"tool": "sentry-model-lint", "format": FORMAT, "findings": findings}
        write_atomically(path, json.dumps(data, indent=2) + "\n", mode=0o644)
        return sum(counts.values())

    def suppresses(self, key: Key) -> bool:
        """True (and one use taken) when the baseline still covers a finding with ``key``."""
        if self._used[key] < self.entries[key]:
            self._used[key] += 1
            return True
        return False

    def used_keys(self) -> list[Key]:
        """Every use :meth:`suppresses` took, once per use."""
        return list(self._used.elements())

    def forget_uses(self) -> None:
        self._used.clear()

    def stale(self, checked: set[str] | None = None, gone: Callable[[str], bool] | None = None) -> list[tuple[Key, int]]:
        """Entries (with their unused count) that matched nothing in this run; ``checked`` limits
        the answer to the files this run looked at, plus those ``gone`` says no longer exist."""
        out = []
        for key, count in sorted(self.entries.items()):
            unused = count - self._used[key]
            if unused > 0 and (checked is None or key[0] in checked or (gone is not None and gone(key[0]))):
                out.append((key, unused))
        return out
