"""``@record``: a frozen dataclass made without generating code.

``@dataclass(frozen=True)`` writes and compiles six methods for every class
(``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``,
``__delattr__``): about half a millisecond each class, and a check imports some
forty of them before it sends a byte.  ``@record`` gives the same class with shared,
already-compiled methods instead, and the same ``__dataclass_fields__``, so
``dataclasses.fields``, ``asdict``, ``replace`` and ``is_dataclass`` work on it
unchanged, and type checkers treat it as a frozen dataclass (PEP 681).

What it supports is what this program uses: fields with defaults or
``field(default_factory=..., repr=False, compare=False)``, ``__post_init__``,
positional or keyword arguments.  Not: ``InitVar``, ``ClassVar`` fields,
``kw_only``, ``slots``, ordering, inheritance from another record.
tests/test_frozen.py holds it to ``@dataclass(frozen=True)``'s behaviour.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")
_MISSING = dataclasses.MISSING
_PARAMS = dataclasses._DataclassParams(  # type: ignore[attr-defined]
    True, True, True, False, False, True)  # init, repr, eq, order, unsafe_hash, frozen


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def record(cls: type[T]) -> type[T]:
    """Make *cls* a frozen dataclass (see the module's docstring)."""
    if any(hasattr(base, "__dataclass_fields__") for base in cls.__mro__[1:]):
        raise TypeError(f"{cls.__name__}: a record cannot inherit from another dataclass")
    fields: dict[str, dataclasses.Field[Any]] = {}
    for name, kind in cls.__dict__.get("__annotations__", {}).items():
        if "ClassVar" in str(kind) or "InitVar" in str(kind):
            raise TypeError(f"{cls.__name__}.{name}: ClassVar and InitVar are not supported by @record")
        value = cls.__dict__.get(name, _MISSING)
        spec: dataclasses.Field[Any] = (value if isinstance(value, dataclasses.Field)
                                        else dataclasses.field(default=value))
        if spec.default is not _MISSING and spec.default.__class__.__hash__ is None:
            raise ValueError(f"mutable default {type(spec.default)} for field {name} is not allowed: "
                             "use default_factory")
        spec.name, spec.type = name, kind
        spec._field_type = dataclasses._FIELD  # type: ignore[attr-defined]  # what fields() looks for
        if isinstance(value, dataclasses.Field):  # the class attribute is the default, as dataclass leaves it
            if spec.default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)
        fields[name] = spec
    order = list(fields.values())
    seen_default = False
    for spec in order:
        has_default = spec.default is not _MISSING or spec.default_factory is not _MISSING
        if seen_default and not has_default:
            raise TypeError(f"non-default argument {spec.name!r} follows default argument")
        seen_default = seen_default or has_default
    compared = tuple(s.name for s in order if s.compare)
    shown = tuple(s.name for s in order if s.repr)
    made: dict[str, object] = {
        "__dataclass_fields__": fields, "__dataclass_params__": _PARAMS, "__match_args__": tuple(fields),
        "__init__": _make_init(cls.__name__, order, hasattr(cls, "__post_init__")),
        "__repr__": _make_repr(shown), "__eq__": _make_eq(compared), "__hash__": _make_hash(compared),
        "__setattr__": _frozen_setattr, "__delattr__": _frozen_delattr,
    }
    for attribute, value in made.items():
        setattr(cls, attribute, value)
    return cls


def _make_init(class_name: str, order: list[dataclasses.Field[Any]], post_init: bool) -> Callable[..., None]:
    names = tuple(s.name for s in order)
    known = frozenset(names)
    defaults = {s.name: s.default for s in order if s.default is not _MISSING}
    factories = {s.name: s.default_factory for s in order if s.default_factory is not _MISSING}
    setter = object.__setattr__

    def __init__(self: object, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(names):
            raise TypeError(f"{class_name}.__init__() takes {len(names) + 1} positional arguments "
                            f"but {len(args) + 1} were given")
        for key in kwargs:
            if key not in known:
                raise TypeError(f"{class_name}.__init__() got an unexpected keyword argument {key!r}")
            if key in names[:len(args)]:
                raise TypeError(f"{class_name}.__init__() got multiple values for argument {key!r}")
        for name, value in zip(names, args, strict=False):
            setter(self, name, value)
        for name in names[len(args):]:
            if name in kwargs:
                setter(self, name, kwargs[name])
            elif name in defaults:
                setter(self, name, defaults[name])
            elif name in factories:
                setter(self, name, factories[name]())  # type: ignore[misc]
            else:
                raise TypeError(f"{class_name}.__init__() missing 1 required positional argument: {name!r}")
        if post_init:
            self.__post_init__()  # type: ignore[attr-defined]

    return __init__


def _make_repr(shown: tuple[str, ...]) -> Callable[[object], str]:
    def __repr__(self: object) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{type(self).__qualname__}({inner})"

    return __repr__


def _make_eq(compared: tuple[str, ...]) -> Callable[[object, object], bool]:
    def __eq__(self: object, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return tuple(getattr(self, n) for n in compared) == tuple(getattr(other, n) for n in compared)

    return __eq__


def _make_hash(compared: tuple[str, ...]) -> Callable[[object], int]:
    def __hash__(self: object) -> int:
        return hash(tuple(getattr(self, n) for n in compared))

    return __hash__


def _frozen_setattr(self: object, name: str, value: object) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: object, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
