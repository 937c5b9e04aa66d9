"""The call-rule file format: ``[[rule]]`` tables in TOML (docs/file-formats.md, "Call rules").

:func:`load_rule_file` reads one (every rule through :func:`~tas.calls.rules.parse_rule`, errors
name the file and the rule's index); :func:`dump_rules` writes rules in the same format, so
``tas rules export`` output loads back with ``tas rules import`` unchanged.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable
from pathlib import Path

from tas.calls.rules import Rule, RuleError, parse_rule, rule_to_toml

__all__ = ["dump_rules", "load_rule_file", "parse_rules"]


def parse_rules(text: str, source: str = "<rules>") -> list[Rule]:
    """The rules of TOML ``text``; ``source`` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{source}: {exc}") from None
    if unknown := set(data) - {"rule"}:
        raise RuleError(f"{source}: unknown table(s): {', '.join(sorted(unknown))}")
    entries = data.get("rule", [])
    if not isinstance(entries, list):
        raise RuleError(f"{source}: expected [[rule]] tables")
    rules = []
    for index, entry in enumerate(entries, 1):
        try:
            rules.append(parse_rule(entry))
        except RuleError as exc:
            raise RuleError(f"{source}: rule #{index}: {exc}") from None
    return rules


def load_rule_file(path: Path) -> list[Rule]:
    """Read ``[[rule]]`` tables from a TOML file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RuleError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"cannot read {path}: {exc}") from None
    return parse_rules(text, str(path))


def dump_rules(rules: Iterable[Rule]) -> str:
    """TOML for ``rules`` (in order): one ``[[rule]]`` each, its steps as ``[[rule.steps]]``."""
    out: list[str] = []
    for rule in rules:
        table = rule_to_toml(rule)
        steps = table.pop("steps", [])
        out.append("[[rule]]")
        out.extend(f"{key} = {_value(value)}" for key, value in table.items())
        for step in steps:
            out.append("[[rule.steps]]")
            out.extend(f"{key} = {_value(value)}" for key, value in step.items())
        out.append("")
    return "\n".join(out)


def _value(value: object) -> str:
    """A TOML value: strings as basic strings (JSON escapes are TOML's), lists inline."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")
