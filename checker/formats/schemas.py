"""The JSON Schemas of memhp-check's machine-readable files, and a validator.

Schemas (draft 2020-12) live in ``checker/formats/schemas/`` and are named after the schema id with the
slash turned into a dash: ``memhp-trace/1`` is ``memhp-trace-1.json``. They reference each other
by ``$id`` (``urn:memhp-check:schema:memhp-world-1``); :func:`validate` resolves those references
from the packaged files, never from the network.

>>> validate({"schema": "memhp-baseline/1", "findings": []}, "memhp-baseline/1")
>>> errors({"schema": "memhp-baseline/1"}, "memhp-baseline/1")
["at (top): 'findings' is a required property"]
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from spec.errors import MemhpError

#: The schemas shipped in checker/formats/schemas/, by schema id.
NAMES = ("memhp-world/1", "memhp-trace/1", "memhp-result/1", "memhp-baseline/1", "memhp-replay/1",
         "memhp-audit/1", "memhp-snapshot/1",
         "memhp-bench-result/1", "memhp-conform/1", "memhp-diff/1", "memhp-review/1",
         "memhp-mutation/1")
URN = "urn:memhp-check:schema:"


class SchemaError(MemhpError):
    """An instance does not validate against a schema; the message is one line and names the
    first offending place (a JSON path such as ``steps[3].obs.ret``)."""


def _stem(name: str) -> str:
    stem = name.removesuffix(".json").replace("/", "-")
    if stem not in {n.replace("/", "-") for n in NAMES}:
        raise SchemaError(f"no schema {name!r} (known: {', '.join(NAMES)})")
    return stem


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    """The schema ``name`` (``memhp-trace/1`` or ``memhp-trace-1``) as a dict."""
    stem = _stem(name)
    text = (resources.files("checker.formats") / "schemas" / f"{stem}.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


@lru_cache(maxsize=None)
def _validator(stem: str) -> Any:
    import jsonschema

    schema = load_schema(stem)
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)
    store = {URN + n.replace("/", "-"): load_schema(n) for n in NAMES}
    try:
        from referencing import Registry, Resource

        registry: Any = Registry().with_resources(
            (uri, Resource.from_contents(s)) for uri, s in store.items())
        return cls(schema, registry=registry)
    except ImportError:  # jsonschema < 4.18
        resolver = jsonschema.RefResolver.from_schema(schema, store=store)
        return cls(schema, resolver=resolver)


def _path(parts: Any) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top)"


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def errors(instance: Any, schema_name: str) -> list[str]:
    """Every validation error, one line each (empty when ``instance`` is valid)."""
    v = _validator(_stem(schema_name))
    return [f"at {_path(e.absolute_path)}: {_short(e.message)}"
            for e in sorted(v.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))]


def validate(instance: Any, schema_name: str, source: str | None = None) -> None:
    """Raise :class:`SchemaError` (one line, naming ``source`` if given) unless ``instance``
    validates against ``schema_name``."""
    import jsonschema

    v = _validator(_stem(schema_name))
    best = jsonschema.exceptions.best_match(v.iter_errors(instance))
    if best is not None:
        where = f"{source}: " if source else ""
        raise SchemaError(f"{where}not a valid {schema_name.removesuffix('.json')}: "
                          f"at {_path(best.absolute_path)}: {_short(best.message)}")


__all__ = ["NAMES", "SchemaError", "errors", "load_schema", "validate"]
