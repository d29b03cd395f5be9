"""A JSON codec for facts: plain data in, plain data out, never pickle.

Facts are frozen dataclasses built from a small set of types (str, int, bool, None, tuples,
mappings, frozensets, enums, :class:`Value` and other fact dataclasses). The codec derives each
class's field decoders once from its type hints, and validates shapes while decoding: a cache
entry that does not fit raises :class:`DecodeError` and is rebuilt, never trusted.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, Union

from sentry_model_lint.values import Value


class DecodeError(ValueError):
    pass


def encode(obj: Any) -> Any:
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, Value):
        return obj.to_json()
    if isinstance(obj, enum.Enum):
        return obj.value
    if dataclasses.is_dataclass(obj):
        return {f.name: encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): encode(v) for k, v in obj.items()}
    if isinstance(obj, (frozenset, set)):
        return sorted(encode(v) for v in obj)
    if isinstance(obj, (tuple, list)):
        return [encode(v) for v in obj]
    raise TypeError(f"cannot encode {type(obj).__name__}")


Decoder = Callable[[Any], Any]
T = TypeVar("T")


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise DecodeError(f"bad cache entry: expected {what}")


def _scalar(kind: type) -> Decoder:
    def decode(data: Any) -> Any:
        if kind is float and isinstance(data, int) and not isinstance(data, bool):
            return float(data)
        _expect(isinstance(data, kind) and (kind is bool or not isinstance(data, bool)), kind.__name__)
        return data

    return decode


def _value(data: Any) -> Value:
    _expect(isinstance(data, dict) and "k" in data and "p" in data, "a value")
    try:
        return Value.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise DecodeError(f"bad cache entry: {exc}") from None


@functools.cache
def decoder_for(hint: Any) -> Decoder:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any:
        return lambda data: data
    if hint is type(None):
        return lambda data: _expect(data is None, "null")
    if hint is Value:
        return _value
    if hint in (str, int, float, bool):
        return _scalar(hint)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):

        def decode_enum(data: Any) -> Any:
            try:
                return hint(data)
            except ValueError:
                raise DecodeError(f"bad cache entry: {data!r} is not a {hint.__name__}") from None

        return decode_enum
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass_decoder(hint)
    if origin in (Union, types.UnionType):
        options = [decoder_for(a) for a in args]

        def decode_union(data: Any) -> Any:
            if data is None and type(None) in args:
                return None
            for option, arg in zip(options, args, strict=False):
                if arg is type(None):
                    continue
                try:
                    return option(data)
                except DecodeError:
                    continue
            raise DecodeError(f"bad cache entry: no variant of {hint} fits")

        return decode_union
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = decoder_for(args[0])

            def decode_tuple(data: Any) -> tuple[Any, ...]:
                _expect(isinstance(data, list), "a list")
                return tuple(item(v) for v in data)

            return decode_tuple
        items = [decoder_for(a) for a in args]

        def decode_fixed(data: Any) -> tuple[Any, ...]:
            _expect(isinstance(data, list) and len(data) == len(items), f"a list of {len(items)}")
            return tuple(d(v) for d, v in zip(items, data, strict=False))

        return decode_fixed
    if origin in (frozenset, set):
        item = decoder_for(args[0])

        def decode_set(data: Any) -> frozenset[Any]:
            _expect(isinstance(data, list), "a list")
            return frozenset(item(v) for v in data)

        return decode_set
    if origin in (dict, Mapping):
        value = decoder_for(args[1])

        def decode_map(data: Any) -> dict[str, Any]:
            _expect(isinstance(data, dict), "an object")
            return {str(k): value(v) for k, v in data.items()}

        return decode_map
    raise TypeError(f"no decoder for {hint!r}")


def _names() -> dict[str, Any]:
    """Names that fact modules only import for type checking."""
    from sentry_model_lint import facts, migration_facts, paths

    return {**vars(paths), **vars(facts), **vars(migration_facts)}


def _dataclass_decoder(cls: type) -> Decoder:
    hints = typing.get_type_hints(cls, localns=_names())
    fields = [
        (f.name, f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING)
        for f in dataclasses.fields(cls)
        if f.init
    ]

    def decode(data: Any) -> Any:
        _expect(isinstance(data, dict), f"a {cls.__name__} object")
        kwargs = {}
        for name, optional in fields:
            if name not in data:
                _expect(optional, f"{cls.__name__}.{name}")
                continue
            kwargs[name] = decoder_for(hints[name])(data[name])
        return cls(**kwargs)

    return decode


def decode(cls: type[T], data: Any) -> T:
    hint: Any = cls  # a class is hashable, whatever mypy thinks of type[T]
    return typing.cast(T, decoder_for(hint)(data))
