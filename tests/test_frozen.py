"""``smtpdiag.frozen.record`` behaves as ``@dataclass(frozen=True)`` does, for every
use this program makes of it: each test builds the same class both ways and asks
both the same questions, through the dataclasses module's functions and through
smtpdiag.frozen's own (which the check's path uses, to leave dataclasses unimported)."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field
from typing import Any

import pytest

from smtpdiag import frozen
from smtpdiag.frozen import record


def both() -> list[tuple[str, type[Any]]]:
    @dataclass(frozen=True)
    class Step:
        step: str
        ok: bool
        ms: int = 0
        detail: str = ""
        findings: tuple[str, ...] = ()
        secret: str | None = field(default=None, repr=False, compare=False)
        notes: list[str] = field(default_factory=list, compare=False)

        def with_(self, **changes: Any) -> Step:
            return dataclasses.replace(self, **changes)

    real = Step

    @record
    class Step:  # type: ignore[no-redef]
        step: str
        ok: bool
        ms: int = 0
        detail: str = ""
        findings: tuple[str, ...] = ()
        secret: str | None = frozen.field(default=None, repr=False, compare=False)
        notes: list[str] = frozen.field(default_factory=list, compare=False)

        def with_(self, **changes: Any) -> Step:
            return frozen.replace(self, **changes)

    return [("dataclass", real), ("record", Step)]


def outcome(fn: Any) -> tuple[str, Any]:
    try:
        return ("ok", fn())
    except Exception as exc:  # noqa: BLE001 - the kind of error is what is compared
        return ("raises", type(exc).__name__)


CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("connect", True), {}),
    (("connect", True, 5, "x", ("a",), "pw", ["n"]), {}),
    (("connect",), {"ok": False, "detail": "d"}),
    ((), {"step": "tls", "ok": True, "secret": "s"}),
    (("connect",), {}),                                   # a required argument missing
    (("connect", True), {"ok": False}),                   # given twice
    (("connect", True), {"colour": "red"}),               # unknown keyword
    (("a", True, 1, "", (), None, [], "extra"), {}),      # too many
]


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_construction_is_the_same(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    (_, real), (_, ours) = both()
    got_real, got_ours = outcome(lambda: real(*args, **kwargs)), outcome(lambda: ours(*args, **kwargs))
    assert got_real[0] == got_ours[0]
    if got_real[0] == "ok":
        assert repr(got_real[1]).replace("test_frozen", "") == repr(got_ours[1]).replace("test_frozen", "")
        assert dataclasses.asdict(got_real[1]) == dataclasses.asdict(got_ours[1])
    else:
        assert got_real[1] == got_ours[1] == "TypeError"


def test_equality_hash_repr_replace_fields_and_freezing_are_the_same() -> None:
    for _label, cls in both():
        a = cls("tls", True, 3, secret="one")
        b = cls("tls", True, 3, secret="two")  # compare=False: equal anyway
        c = cls("tls", False, 3)
        assert a == b and hash(a) == hash(b) and a != c and a != ("tls", True, 3)
        assert repr(a) == "both.<locals>.Step(step='tls', ok=True, ms=3, detail='', findings=(), notes=[])"
        assert a.with_(ok=False).ok is False and a.with_(ok=False).secret == "one"
        assert [f.name for f in dataclasses.fields(a)] == ["step", "ok", "ms", "detail", "findings", "secret",
                                                            "notes"]
        assert dataclasses.is_dataclass(a) and dataclasses.astuple(c)[:3] == ("tls", False, 3)
        assert cls("x", True).notes is not cls("x", True).notes  # a new list each time
        with pytest.raises(AttributeError):  # dataclasses.FrozenInstanceError / frozen.FrozenInstanceError
            a.ok = False
        with pytest.raises(AttributeError):
            del a.ok
        assert cls.ms == 0 and "notes" not in cls.__dict__  # class attributes as dataclass leaves them
        assert cls.__match_args__ == ("step", "ok", "ms", "detail", "findings", "secret", "notes")


@record
class Pickled:
    name: str
    parts: tuple[int, ...] = ()


def test_a_record_pickles_and_compares_after() -> None:
    # Reports are not pickled, but the GUI hands records across threads and copies them.
    import copy

    item = Pickled("a", (1, 2))
    assert pickle.loads(pickle.dumps(item)) == item
    assert copy.deepcopy(item) == item and copy.copy(item) == item


def test_post_init_runs_and_may_set_fields_as_dataclass_allows() -> None:
    @record
    class Normalised:
        name: str

        def __post_init__(self) -> None:
            object.__setattr__(self, "name", self.name.lower())

    assert Normalised("MAIL").name == "mail"


def test_what_record_does_not_support_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="mutable default"):
        @record
        class Bad:
            items: list[int] = []  # noqa: RUF012 - the point of the test

    with pytest.raises(TypeError, match="follows default"):
        @record
        class Order:
            a: int = 0
            b: int

    with pytest.raises(TypeError, match="ClassVar"):
        @record
        class Shared:
            counter: ClassVar[int] = 0  # type: ignore[name-defined]  # noqa: F821


def test_the_dataclasses_modules_functions_and_frozens_own_agree_on_a_record() -> None:
    (_, _real), (_, cls) = both()
    item = cls("tls", True, 3, findings=("intercepted",), secret="s", notes=["n"])
    assert frozen.asdict(item) == dataclasses.asdict(item) == {
        "step": "tls", "ok": True, "ms": 3, "detail": "", "findings": ("intercepted",), "secret": "s",
        "notes": ["n"]}
    assert [f.name for f in frozen.fields(item)] == [f.name for f in dataclasses.fields(item)]
    assert frozen.replace(item, ms=9) == dataclasses.replace(item, ms=9) == cls("tls", True, 9, findings=("intercepted",))
    assert dataclasses.is_dataclass(cls) and frozen.asdict(item)["notes"] is not item.notes


def test_records_inside_records_become_dicts() -> None:
    @record
    class Inner:
        n: int

    @record
    class Outer:
        inner: Inner
        many: tuple[Inner, ...] = ()
        by_name: dict[str, Inner] = frozen.field(default_factory=dict)

    item = Outer(Inner(1), (Inner(2),), {"x": Inner(3)})
    assert frozen.asdict(item) == dataclasses.asdict(item) == {
        "inner": {"n": 1}, "many": ({"n": 2},), "by_name": {"x": {"n": 3}}}


def test_a_mutable_record_changes_and_is_not_hashable_as_a_mutable_dataclass() -> None:
    @dataclass
    class Real:
        language: str
        checks: list[int] = field(default_factory=list)

    @record(frozen=False)
    class Report:
        language: str
        checks: list[int] = frozen.field(default_factory=list)

    for cls in (Real, Report):
        item = cls("en")
        item.language = "de"
        assert item == cls("de") and item.checks == []
        with pytest.raises(TypeError):
            hash(item)
    assert frozen.replace(Report("en", [1]), language="de") == Report("de", [1])


def test_a_dataclasses_field_in_a_record_is_refused() -> None:
    with pytest.raises(TypeError, match="smtpdiag.frozen.field"):
        @record
        class Mixed:
            items: tuple[int, ...] = field(default=())


def test_a_records_own_methods_are_kept_as_a_dataclass_keeps_them() -> None:
    @record
    class Named:
        name: str

        def __repr__(self) -> str:
            return f"<{self.name}>"

    assert repr(Named("x")) == "<x>" and Named("x") == Named("x")
    with pytest.raises(TypeError, match="__setattr__"):
        @record
        class Mutating:
            name: str

            def __setattr__(self, key: str, value: object) -> None:
                object.__setattr__(self, key, value)

