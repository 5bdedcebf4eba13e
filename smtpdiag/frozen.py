"""``@record``: dataclasses without the dataclasses module's start-up cost.

``@dataclass(frozen=True)`` writes and compiles six methods for every class
(``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``,
``__delattr__``): about half a millisecond each, and a check uses some forty
classes before it sends a byte; importing ``dataclasses`` itself brings
``inspect``, ``ast``, ``dis`` and ``tokenize`` (another 10 ms).  ``@record``
gives the same classes with shared, already-compiled methods, and this module
imports nothing heavy:

    @record                 a frozen dataclass (``@record(frozen=False)``: mutable)
    field(...)              default / default_factory / repr / compare, as dataclasses.field
    replace(obj, **changes) fields(obj) asdict(obj)     as in dataclasses

Type checkers treat a record as a dataclass (PEP 681).  The dataclasses module's
own functions (``dataclasses.asdict``, ``replace``, ``fields``, ``is_dataclass``)
work on records too: ``__dataclass_fields__`` is made, from the same field
specifications, the first time something asks for it (which imports dataclasses
then).  As with ``@dataclass``, a class's own ``__init__``, ``__repr__``, ``__eq__`` or
``__hash__`` is kept.  Not supported (refused where it can be told: a ``ClassVar`` or
``InitVar`` is recognised by its annotation's text): ``InitVar``, ``ClassVar`` fields,
``kw_only``, ``slots``, ordering, inheritance from another record.  tests/test_frozen.py holds records to
``@dataclass``'s behaviour.
"""

from __future__ import annotations

from collections.abc import Callable

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any, TypeVar, dataclass_transform, overload

    T = TypeVar("T")
else:  # at run time typing's overload and dataclass_transform only mark what type checkers read
    # (ruff's F811 below: the overloads' stubs are redefined, as overloads are)
    def overload(fn):  # noqa: ANN001, ANN202
        return fn

    def dataclass_transform(**_):  # noqa: ANN003, ANN202
        return lambda fn: fn


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class FrozenInstanceError(AttributeError):
    """Assigning to a field of a frozen record (as dataclasses.FrozenInstanceError)."""


class Spec:
    """One field: its name, default or factory, and whether repr and == use it."""

    __slots__ = ("name", "type", "default", "default_factory", "repr", "compare")

    def __init__(self, default: Any = MISSING, default_factory: Any = MISSING, repr: bool = True,
                 compare: bool = True) -> None:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.type: object = None
        self.default, self.default_factory, self.repr, self.compare = default, default_factory, repr, compare


@overload
def field(*, default: T, repr: bool = ..., compare: bool = ...) -> T: ...
@overload
def field(*, default_factory: Callable[[], T], repr: bool = ..., compare: bool = ...) -> T: ...  # noqa: F811
@overload
def field(*, repr: bool = ..., compare: bool = ...) -> Any: ...  # noqa: F811
def field(*, default: Any = MISSING, default_factory: Any = MISSING, repr: bool = True,  # noqa: E302, F811
          compare: bool = True) -> Any:
    """A field's default, factory and use in repr and ==, as ``dataclasses.field``."""
    return Spec(default, default_factory, repr, compare)


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(*, frozen: bool = True) -> Callable[[type[T]], type[T]]: ...  # noqa: F811
@dataclass_transform(frozen_default=True, field_specifiers=(field,))  # noqa: E302
def record(cls: type[T] | None = None, /, *, frozen: bool = True) -> Any:  # noqa: F811
    """Make *cls* a dataclass, frozen unless ``frozen=False`` (see the module's docstring)."""
    if cls is None:
        return lambda c: _make(c, frozen)
    return _make(cls, frozen)


def _make(cls: type[T], frozen: bool) -> type[T]:
    if any("__record_fields__" in vars(base) or "__dataclass_fields__" in vars(base) for base in cls.__mro__[1:]):
        raise TypeError(f"{cls.__name__}: a record cannot inherit from another dataclass")
    specs: dict[str, Spec] = {}
    annotations = cls.__dict__.get("__annotations__")
    if annotations is None:  # (Python 3.14 makes a class's annotations when first asked)
        annotations = getattr(cls, "__annotations__", {})
    for name, kind in annotations.items():
        if "ClassVar" in str(kind) or "InitVar" in str(kind):
            raise TypeError(f"{cls.__name__}.{name}: ClassVar and InitVar are not supported by @record")
        value = cls.__dict__.get(name, MISSING)
        if type(value).__name__ == "Field" and type(value).__module__ == "dataclasses":
            raise TypeError(f"{cls.__name__}.{name}: a record's fields use smtpdiag.frozen.field")
        spec = value if isinstance(value, Spec) else Spec(default=value)
        if spec.default is not MISSING and spec.default.__class__.__hash__ is None:
            raise ValueError(f"mutable default {type(spec.default)} for field {name} is not allowed: "
                             "use default_factory")
        spec.name, spec.type = name, kind
        if isinstance(value, Spec):  # the class attribute is the default, as dataclass leaves it
            if spec.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)
        specs[name] = spec
    order = list(specs.values())
    seen_default = False
    for spec in order:
        has_default = spec.default is not MISSING or spec.default_factory is not MISSING
        if seen_default and not has_default:
            raise TypeError(f"non-default argument {spec.name!r} follows default argument")
        seen_default = seen_default or has_default
    compared = tuple(s.name for s in order if s.compare)
    made: dict[str, object] = {
        "__record_fields__": tuple(order), "__dataclass_fields__": _DataclassFields(frozen),
        "__match_args__": tuple(specs),
        "__init__": _make_init(cls.__name__, order, hasattr(cls, "__post_init__")),
        "__repr__": _make_repr(tuple(s.name for s in order if s.repr)), "__eq__": _make_eq(compared),
        "__hash__": _make_hash(compared) if frozen else None,
    }
    if frozen:
        made.update({"__setattr__": _frozen_setattr, "__delattr__": _frozen_delattr})
    for attribute, value in made.items():
        if attribute in cls.__dict__ and attribute in _KEPT_IF_WRITTEN:
            continue  # the class's own method stays, as with @dataclass
        if attribute in cls.__dict__ and attribute in ("__setattr__", "__delattr__"):
            raise TypeError(f"cannot overwrite attribute {attribute} in class {cls.__name__}")
        setattr(cls, attribute, value)
    return cls


_KEPT_IF_WRITTEN = frozenset({"__init__", "__repr__", "__eq__", "__hash__"})


class _DataclassFields:
    """``__dataclass_fields__``, made from the records' specifications when the dataclasses
    module's functions first ask (they then work on records as on dataclasses)."""

    def __init__(self, frozen: bool) -> None:
        self.frozen = frozen

    def __get__(self, obj: object, owner: type) -> dict[str, Any]:
        import dataclasses

        # A real dataclass with the same fields lends its field objects and parameters
        # (public API only: their private shapes differ between Python versions).
        specs = owner.__record_fields__  # type: ignore[attr-defined]
        twin = dataclasses.make_dataclass(owner.__name__, [
            (spec.name, spec.type, dataclasses.field(
                repr=spec.repr, compare=spec.compare,
                **({"default": spec.default} if spec.default is not MISSING else {}),
                **({"default_factory": spec.default_factory} if spec.default_factory is not MISSING else {})))
            for spec in specs], frozen=self.frozen)
        fields_: dict[str, Any] = twin.__dataclass_fields__  # type: ignore[attr-defined]
        type.__setattr__(owner, "__dataclass_fields__", fields_)
        type.__setattr__(owner, "__dataclass_params__", twin.__dataclass_params__)  # type: ignore[attr-defined]
        return fields_


def fields(obj: object) -> tuple[Spec, ...]:
    """The fields of a record (class or instance), in order."""
    try:
        return (obj if isinstance(obj, type) else type(obj)).__record_fields__  # type: ignore[attr-defined,no-any-return]
    except AttributeError:
        raise TypeError("must be called with a record type or instance") from None


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of the record *obj* with *changes* (``__init__`` and ``__post_init__`` run again)."""
    for spec in fields(obj):
        if spec.name not in changes:
            changes[spec.name] = getattr(obj, spec.name)
    return type(obj)(**changes)


def asdict(obj: object) -> dict[str, Any]:
    """The record as a dict, records inside it too, containers copied (as dataclasses.asdict)."""
    return {spec.name: _plain(getattr(obj, spec.name)) for spec in fields(obj)}


def _plain(value: Any) -> Any:
    if hasattr(type(value), "__record_fields__"):
        return asdict(value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
        return type(value)(*[_plain(v) for v in value])
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return type(value)((_plain(k), _plain(v)) for k, v in value.items())
    if value is None or isinstance(value, str | int | float | bytes):
        return value
    import copy

    return copy.deepcopy(value)


def _make_init(class_name: str, order: list[Spec], post_init: bool) -> Callable[..., None]:
    names = tuple(s.name for s in order)
    known = frozenset(names)
    defaults = {s.name: s.default for s in order if s.default is not MISSING}
    factories = {s.name: s.default_factory for s in order if s.default_factory is not MISSING}
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
                setter(self, name, factories[name]())
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
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: object, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")
