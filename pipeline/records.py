"""Record classes: the part of ``dataclasses`` this package uses, at a fraction of its cost.

A fresh ``dispatch check`` declares some forty classes of plain fields (a diagnostic, a
change, a block of the model...). ``@dataclasses.dataclass`` takes about a millisecond for
each, since it writes and compiles every method anew for each class and looks at every
annotation: 30 ms of a check's CPU time of 210. :func:`record` gives a class the same
methods, with the same behaviour:

- ``__init__`` with the fields in order as parameters, defaults and default factories
  (``field(default_factory=list)``), then ``__post_init__`` when the class has one: written
  for the class and compiled, as a dataclass's is, so that making a record costs no more;
- ``__repr__`` as ``Name(a=1, b='x')``, ``__eq__`` between records of the same class (their
  fields in order, as tuples): one function for every record class (the build compares and
  hashes none, so these need not be fast);
- and for ``record(frozen=True)``: ``__hash__`` of the fields' tuple, and no assignment or
  deletion of an attribute (``AttributeError``), the fields being set once by ``__init__``.
  A plain record is not hashable, as a dataclass with ``eq`` is not.

Compiling the ``__init__`` is still most of what a record class costs (a third of a
millisecond), and a fresh process writes the very same sources every time: the compiled code
is kept in the per-user cache (``pipeline.usercache``) under the source itself, as Python
keeps compiled modules, and a later process only loads it (``_compiled``).

Every annotated name of the class body is a field (there is no ``ClassVar`` or ``InitVar``
here), a record inherits no fields, and a method the class defines itself is kept.
:func:`replace` is ``dataclasses.replace`` for records.
"""

from __future__ import annotations

import reprlib
from operator import attrgetter
from types import CodeType

from pipeline import usercache

_FACTORY = object()  # the default of a parameter whose field has a default factory
_kept = usercache.Kept("records", 200)  # the compiled code by source (some sixty record classes)


class field:  # noqa: N801 - named as the ``dataclasses.field`` it stands in for
    """A field's default made anew for each record (``field(default_factory=list)``)."""

    __slots__ = ("default_factory",)

    def __init__(self, *, default_factory):
        self.default_factory = default_factory


def record(cls=None, /, *, frozen: bool = False):
    """Make ``cls`` a record class (``@record`` or ``@record(frozen=True)``); see the module."""
    if cls is None:
        return lambda cls: _make(cls, frozen)
    return _make(cls, frozen)


def replace(obj, /, **changes):
    """A copy of the record ``obj`` with the fields in ``changes`` set anew (through ``__init__``)."""
    values = {name: getattr(obj, name) for name in obj.__record_fields__}
    values.update(changes)
    return obj.__class__(**values)


def _make(cls, frozen: bool):
    names = tuple(cls.__dict__.get("__annotations__", {}))
    namespace: dict[str, object] = {"_FACTORY": _FACTORY, "_object_setattr": object.__setattr__}
    parameters, body = [], []
    for name in names:
        value = name
        if name not in cls.__dict__:
            parameters.append(name)
        elif isinstance(cls.__dict__[name], field):
            namespace[f"_factory_{name}"] = cls.__dict__[name].default_factory
            parameters.append(f"{name}=_FACTORY")
            value = f"_factory_{name}() if {name} is _FACTORY else {name}"
            delattr(cls, name)  # as a dataclass does: each record's own value, never a shared one
        else:
            namespace[f"_default_{name}"] = cls.__dict__[name]
            parameters.append(f"{name}=_default_{name}")
        body.append(f"_object_setattr(self, {name!r}, {value})" if frozen else f"self.{name} = {value}")
    if "__post_init__" in cls.__dict__:
        body.append("self.__post_init__()")
    source = "\n    ".join([f"def __init__(self, {', '.join(parameters)}):", *(body or ["pass"])])
    exec(_compiled(source, f"<record {cls.__qualname__}>"), namespace)  # noqa: S102
    namespace["__init__"].__qualname__ = f"{cls.__qualname__}.__init__"
    methods = {"__init__": namespace["__init__"], "__repr__": _repr, "__eq__": _eq,
               "__hash__": _hash if frozen else None}  # a mutable record equal by value is not hashable
    if frozen:
        methods.update(__setattr__=_frozen_setattr, __delattr__=_frozen_delattr)
    for method, function in methods.items():
        if method not in cls.__dict__:
            setattr(cls, method, function)
    cls.__record_fields__ = names
    cls.__record_values__ = _values(names)
    return cls


def _values(names: tuple[str, ...]):
    """The function that gives a record's fields as a tuple, in order: what its equality and
    hash compare and hash, as a dataclass's do."""
    if len(names) == 1:
        value = attrgetter(names[0])
        return lambda record: (value(record),)
    return attrgetter(*names) if names else lambda record: ()


@reprlib.recursive_repr()  # '...' for a record within itself
def _repr(self) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_fields__)
    return f"{self.__class__.__qualname__}({shown})"


def _eq(self, other):
    if other.__class__ is self.__class__:
        return self.__record_values__(self) == other.__record_values__(other)
    return NotImplemented


def _hash(self) -> int:
    return hash(self.__record_values__(self))


def _frozen_setattr(self, name, value):
    raise AttributeError(f"cannot assign to field {name!r}")


def _frozen_delattr(self, name):
    raise AttributeError(f"cannot delete field {name!r}")


def _compiled(source: str, name: str) -> CodeType:
    """``compile(source, name, "exec")``, or the same code as an earlier run compiled it."""
    key = f"{name}\n{source}"
    code = _kept.get(key)
    if not isinstance(code, CodeType):
        code = compile(source, name, "exec")
        _kept.add(key, code)
    return code
