"""Checkpoints of an app's replay: an edit to the newest migration replays that one alone.

After the project index replays an app whole, it keeps, in the facts cache, the app's graph (each
migration's name, number, dependencies and squash targets) and the replayed state after every
migration but the last in replay order, with the stamps of all the app's migration files. When
only that last file changed since, the next run rebuilds the graph from the kept nodes and the
new file, and replays the new file on the kept state, without reading the other migrations. The
snapshots of the migrations it did not replay are made by a whole replay on first request, so a
run that lints them gets the same answers as a cold one.

A checkpoint is JSON, decoded with the same validating codec as facts: a corrupt or planted one
fails to decode and is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sentry_model_lint.replay import AppHistory, FieldState, MigrationNode, ModelState, ReplayState
from sentry_model_lint.serialize import DecodeError, decode, encode
from sentry_model_lint.values import Value

__all__ = ["Checkpoint", "NodeInfo", "from_json", "to_json"]


@dataclass(frozen=True)
class NodeInfo:
    """What the graph needs of one migration."""

    name: str
    path: str  # relative to the project root
    number: int | None
    deps: tuple[tuple[str, str, Value], ...]
    replaces: tuple[str, ...]
    line: int
    operations_known: bool
    unknown: str | None
    unknown_line: int | None


@dataclass(frozen=True)
class PendingField:
    model: str
    field: str
    state: FieldState


@dataclass(frozen=True)
class Checkpoint:
    files: Mapping[str, str]  # every migration file of the app (relative path) -> its stamp
    names: str  # the stamp of every app's migration names (cross-app dependencies)
    prefix: tuple[str, ...]  # the replay order up to the checkpoint
    tail: str  # the relative path of the one migration replayed after it
    nodes: tuple[NodeInfo, ...]  # every node of the graph but the tail
    models: Mapping[str, ModelState]
    pending_models: Mapping[str, ModelState]
    pending_fields: tuple[PendingField, ...]
    created: frozenset[str]
    uncertain: bool

    def state(self) -> ReplayState:
        return ReplayState(
            dict(self.models),
            dict(self.pending_models),
            {(p.model, p.field): p.state for p in self.pending_fields},
            set(self.created),
            self.uncertain,
        )


def node_info(node: MigrationNode, rel: str) -> NodeInfo:
    return NodeInfo(
        node.name,
        rel,
        node.number,
        tuple(node.deps),
        tuple(node.replaces),
        node.line,
        node.operations_known,
        node.unknown,
        node.unknown_line,
    )


def to_json(history: AppHistory, state: ReplayState, files: Mapping[str, str], names: str, rel: Mapping[str, str]) -> Any:
    """The checkpoint of ``history`` (replayed whole) with ``state`` after all but its last
    migration; ``rel`` maps each node's path to its path relative to the root."""
    tail = history.order[-1]
    checkpoint = Checkpoint(
        files=dict(files),
        names=names,
        prefix=tuple(history.order[:-1]),
        tail=rel[history.nodes[tail].path],
        nodes=tuple(node_info(n, rel[n.path]) for name, n in sorted(history.nodes.items()) if name != tail),
        models=state.models,
        pending_models=state.pending_models,
        pending_fields=tuple(PendingField(m, f, s) for (m, f), s in sorted(state.pending_fields.items())),
        created=frozenset(state.created),
        uncertain=state.uncertain,
    )
    return encode(checkpoint)


def from_json(data: Any) -> Checkpoint | None:
    if data is None:
        return None
    try:
        return decode(Checkpoint, data)
    except (DecodeError, KeyError, TypeError, ValueError, RecursionError):
        return None
