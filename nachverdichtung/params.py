"""Frozen parameter objects built from plain YAML data, strictly.

Every stage (candidates, each criterion, rating, output) declares its parameters as a frozen
dataclass whose fields are created with :func:`param`. :func:`build` turns a mapping from YAML into
such an object: unknown keys, wrong types and out-of-range values raise a :class:`ConfigError` that
names the config file, the key and the fix. :func:`to_plain` turns it back into YAML-ready data.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["param", "build", "to_plain", "describe"]


def param(
    default: Any,
    *,
    doc: str,
    source: str = "Konvention",
    unit: str = "",
    min: float | None = None,
    max: float | None = None,
    choices: tuple | None = None,
    required: bool = False,
) -> Any:
    """Declare a documented parameter field.

    Parameters
    ----------
    default
        Default value (lists become tuples so the object stays hashable and frozen).
    doc
        One sentence in German saying what the parameter does.
    source
        Where the default comes from (statute, DOMAIN.md section) or ``"Konvention"``.
    unit
        Unit shown in documentation and reports.
    min, max
        Inclusive numeric bounds checked by :func:`build`.
    choices
        Allowed values checked by :func:`build`.
    required
        The key must be given (and not be empty) in the configuration; ``default`` only serves
        objects built in code. :func:`build` reports a missing one as "Pflichtangabe fehlt".
    """
    if isinstance(default, list):
        default = tuple(default)
    meta = {"doc": doc, "source": source, "unit": unit, "min": min, "max": max, "choices": choices,
            "required": required}
    if isinstance(default, dict):
        return dataclasses.field(default_factory=lambda d=default: dict(d), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _type_name(tp: Any) -> str:
    names = {float: "Zahl", int: "ganze Zahl", bool: "true/false", str: "Text", Path: "Pfad"}
    origin = typing.get_origin(tp)
    if tp in names:
        return names[tp]
    if origin in (tuple, list):
        return "Liste"
    if origin in (dict, Mapping) or tp is dict:
        return "Zuordnung (key: value)"
    if dataclasses.is_dataclass(tp):
        return "Abschnitt (key: value)"
    return str(tp)


def build(cls: type, data: Any, *, key: str, file: Path | str | None, base_dir: Path | None = None):
    """Build the frozen dataclass ``cls`` from ``data``, rejecting anything unexpected.

    Parameters
    ----------
    cls
        A dataclass whose fields may carry :func:`param` metadata.
    data
        The mapping read from YAML (``None`` means all defaults).
    key
        Dotted position of ``data`` in the config file, used in messages.
    file
        The config file, used in messages.
    base_dir
        Directory relative paths are resolved against.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class P:
    ...     a: float = param(1.0, doc="x", min=0)
    >>> build(P, {"a": 2}, key="p", file="c.yml")
    P(a=2.0)
    """
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"erwartet einen Abschnitt (key: value), gefunden {type(data).__name__}",
            file=file, key=key, fix=f"'{key}' als eingerückte Zuordnung schreiben",
        )
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(map(str, data)) - set(fields))
    if unknown:
        raise ConfigError(
            f"unbekannter Schlüssel {', '.join(repr(u) for u in unknown)}",
            file=file, key=key,
            fix=f"erlaubt sind: {', '.join(sorted(fields))}",
        )
    hints = typing.get_type_hints(cls)
    values = {}
    for name, value in data.items():
        f = fields[name]
        values[name] = _convert(hints[name], value, f.metadata, key=f"{key}.{name}", file=file,
                                base_dir=base_dir)
    missing = [n for n, f in fields.items() if values.get(n) is None and (f.metadata.get("required") or (
               n not in values and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING))]
    if missing:
        raise ConfigError(
            f"Pflichtangabe {', '.join(repr(m) for m in missing)} fehlt",
            file=file, key=key, fix=f"'{missing[0]}' unter '{key}' eintragen",
        )
    return cls(**values)


def _resolve_path(value: str, base_dir: Path | None) -> Path | str:
    r"""A config path, relative to the config's folder; Windows separators work on every system.

    A PostgreSQL URI stays text: it names a database, not a file.

    >>> _resolve_path("daten\\dgm.tif", Path("/projekt")).as_posix()
    '/projekt/daten/dgm.tif'
    """
    if value.lower().startswith(("postgresql://", "postgres://")):
        return value  # a database source (nachverdichtung.io.postgis), not a file
    path = Path(value).expanduser()
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    if "\\" in value and os.sep == "/" and not path.exists():
        return _resolve_path(value.replace("\\", "/"), base_dir)
    return path


def _convert(tp: Any, value: Any, meta: Mapping, *, key: str, file, base_dir: Path | None) -> Any:
    """``value`` from YAML as type ``tp``, checked against the bounds and choices in ``meta``."""
    origin = typing.get_origin(tp)
    ctx = {"key": key, "file": file, "base_dir": base_dir}
    if origin in (typing.Union, types.UnionType):
        return _convert_union(typing.get_args(tp), value, meta, **ctx)
    if dataclasses.is_dataclass(tp):
        if isinstance(value, (str, Path)) and "path" in {f.name for f in dataclasses.fields(tp)}:
            value = {"path": value}
        return build(tp, value, **ctx)
    if tp is bool:
        if not isinstance(value, bool):
            raise _wrong(tp, value, key=key, file=file)
        return value
    if tp in (int, float):
        return _convert_number(tp, value, meta, key=key, file=file)
    if tp is str:
        return _convert_str(value, meta, key=key, file=file)
    if tp is Path:
        if not isinstance(value, (str, Path)):
            raise _wrong(tp, value, key=key, file=file)
        return _resolve_path(str(value), base_dir)
    if origin in (tuple, list):
        return _convert_items(tp, value, meta, **ctx)
    if origin in (dict, Mapping) or tp is dict or origin is typing.Mapping:
        return _convert_mapping(tp, value, **ctx)
    return value


def _wrong(tp: Any, value: Any, *, key: str, file) -> ConfigError:
    return ConfigError(
        f"erwartet {_type_name(tp)}, gefunden {value!r}",
        file=file, key=key, fix=f"einen Wert vom Typ {_type_name(tp)} eintragen",
    )


def _convert_union(args: tuple, value: Any, meta: Mapping, *, key: str, file, base_dir: Path | None) -> Any:
    """The first option of an ``X | Y | None`` type that accepts ``value``."""
    if value is None and type(None) in args:
        return None
    inner = [a for a in args if a is not type(None)]
    errors = []
    for option in inner:
        try:
            return _convert(option, value, meta, key=key, file=file, base_dir=base_dir)
        except ConfigError as exc:
            errors.append(exc)
    # the message of the option the value looks like (a mapping is meant as a section)
    raise errors[0] if isinstance(value, Mapping) else errors[-1]


def _convert_number(tp: type, value: Any, meta: Mapping, *, key: str, file) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _wrong(tp, value, key=key, file=file)
    if tp is int and not float(value).is_integer():
        raise _wrong(tp, value, key=key, file=file)
    value = tp(value)
    lo, hi = meta.get("min"), meta.get("max")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        rng = f"{'' if lo is None else lo} … {'' if hi is None else hi}".strip()
        raise ConfigError(
            f"Wert {value} liegt außerhalb des zulässigen Bereichs ({rng})",
            file=file, key=key, fix="einen Wert im zulässigen Bereich eintragen",
        )
    return value


def _convert_str(value: Any, meta: Mapping, *, key: str, file) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _wrong(str, value, key=key, file=file)
    value = str(value)
    choices = meta.get("choices")
    if choices and value not in choices:
        raise ConfigError(
            f"unzulässiger Wert {value!r}", file=file, key=key,
            fix=f"einer von: {', '.join(map(str, choices))}",
        )
    return value


def _convert_items(tp: Any, value: Any, meta: Mapping, *, key: str, file, base_dir: Path | None) -> tuple:
    """A YAML list as a tuple, each item converted (with the bounds) and checked against the choices."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise _wrong(tp, value, key=key, file=file)
    args = typing.get_args(tp)
    item_tp = args[0] if args else Any
    items = tuple(
        v if item_tp in (Any, Ellipsis) else
        _convert(item_tp, v, {"min": meta.get("min"), "max": meta.get("max")},
                 key=f"{key}[{i}]", file=file, base_dir=base_dir)
        for i, v in enumerate(value)
    )
    choices = meta.get("choices")
    if choices:
        bad = [v for v in items if v not in choices]
        if bad:
            raise ConfigError(f"unzulässige Werte {bad}", file=file, key=key,
                              fix=f"erlaubt sind: {', '.join(map(str, choices))}")
    return items


def _convert_mapping(tp: Any, value: Any, *, key: str, file, base_dir: Path | None) -> dict:
    if not isinstance(value, Mapping):
        raise _wrong(tp, value, key=key, file=file)
    args = typing.get_args(tp)
    val_tp = args[1] if len(args) == 2 else Any
    if val_tp is Any:
        return dict(value)
    return {str(k): _convert(val_tp, v, {}, key=f"{key}.{k}", file=file, base_dir=base_dir)
            for k, v in value.items()}


def to_plain(obj: Any) -> Any:
    """Turn a params dataclass tree into plain YAML-serialisable data."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init}
    if isinstance(obj, Mapping):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def describe(cls_or_obj: Any) -> list[dict]:
    """List the parameters of a params dataclass with value, unit, source and doc (for reports)."""
    rows = []
    for f in dataclasses.fields(cls_or_obj):
        value = getattr(cls_or_obj, f.name, f.default) if not isinstance(cls_or_obj, type) else (
            f.default if f.default is not dataclasses.MISSING else f.default_factory())
        rows.append({
            "name": f.name, "value": to_plain(value), "unit": f.metadata.get("unit", ""),
            "source": f.metadata.get("source", "Konvention"), "doc": f.metadata.get("doc", ""),
        })
    return rows
