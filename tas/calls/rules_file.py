"""The call-rule file format: ``[[rule]]`` tables in TOML (docs/file-formats.md, "Call rules").

:func:`load_rule_file` reads one (every rule through :func:`~tas.calls.rules.parse_rule`, errors
name the file and the rule's index); :func:`dump_rules` writes rules in the same format, so
``tas rules export`` output loads back with ``tas rules import`` unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from tas.calls.rules import Rule, RuleError, parse_rule, rule_to_toml
from tas.calls.toml_tables import load_tables, parse_tables

__all__ = ["dump_rules", "load_rule_file", "parse_rules"]


def parse_rules(text: str, source: str = "<rules>") -> list[Rule]:
    """The rules of TOML ``text``; ``source`` names it in errors."""
    return parse_tables(text, source, "rule", parse_rule, RuleError)


def load_rule_file(path: Path) -> list[Rule]:
    """Read ``[[rule]]`` tables from a TOML file."""
    return load_tables(path, "rule", parse_rule, RuleError)


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
