"""The JSON Schema row rules (schemas/<resource>.rules.json) compiled to DuckDB SQL.

A row is the JSON object of its non-empty cells, numbers typed as numbers (see `aideals.rules`,
the jsonschema reference these compiled rules are tested against). The keywords compiled are the
ones our rule files use: `properties`, `required`, `if`/`then`/`else`, `allOf`, `anyOf`, `oneOf`,
`not`, `dependentRequired`, `const`, `enum`, `minimum`/`maximum` (and exclusive ones),
`minLength`/`maxLength`, `pattern`, and our own `fieldComparisons`. Any other keyword is refused
with an AidealsError rather than silently ignored.
"""

from __future__ import annotations

import string

from aideals.db import quote_ident
from aideals.errors import AidealsError
from aideals.schema_sql import NO_FAILURES, Sql, failure, failures, joined

IGNORED = {"title", "description", "x-field", "x-message", "$schema", "$id", "$comment", "type"}
NUMERIC = ("number", "integer")


class RuleCompiler:
    """Compiles the rules of one resource; `kinds` maps field name -> Table Schema type, `columns`
    (optional) field name -> the SQL expression holding its value (default: a column of that name)."""

    def __init__(self, kinds: dict[str, str], columns: dict[str, str] | None = None, label: str = "row rules") -> None:
        self.kinds = kinds
        self.columns = columns or {}
        self.label = label  # what errors name: the rules file

    def col(self, name: str) -> str:
        if name not in self.kinds:
            raise AidealsError(f"{self.label}: field {name!r} is not in the Table Schema")
        return self.columns.get(name) or quote_ident(name)

    def present(self, name: str) -> str:
        return f"({self.col(name)} IS NOT NULL)"

    def _need(self, ok: bool, where: str, what: str) -> None:
        """Refuse a keyword whose argument is not of the kind JSON Schema gives it, naming it."""
        if not ok:
            raise AidealsError(f"{self.label}: {where}: must be {what}")

    def _check_args(self, schema: dict, on: str | None) -> None:
        """The arguments of the keywords of one (sub)schema are of the kind JSON Schema gives them:
        a wrong one would otherwise crash the compiler or compile to a test of something else."""
        import re

        where = "a rule" if on is None else f"the rule on {on!r}"
        for key, arg in schema.items():
            if key in ("properties", "dependentRequired"):
                self._need(isinstance(arg, dict), f"{where}: {key}", "an object")
            elif key in ("required",):
                self._need(isinstance(arg, list) and all(isinstance(n, str) for n in arg), f"{where}: {key}", "a list of field names")
            elif key in ("if", "then", "else", "not"):
                self._need(isinstance(arg, dict | bool), f"{where}: {key}", "a rule (an object, true or false)")
            elif key in ("allOf", "anyOf", "oneOf"):
                self._need(isinstance(arg, list) and all(isinstance(s, dict | bool) for s in arg), f"{where}: {key}",
                           "a list of rules")
            elif key == "enum":
                self._need(isinstance(arg, list), f"{where}: enum", "a list of values")
            elif key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                self._need(isinstance(arg, int | float) and not isinstance(arg, bool), f"{where}: {key}", "a number")
            elif key in ("minLength", "maxLength"):
                self._need(isinstance(arg, int) and not isinstance(arg, bool) and arg >= 0, f"{where}: {key}",
                           "a whole number")
            elif key == "pattern":
                ok = isinstance(arg, str)
                if ok:
                    try:
                        re.compile(arg)
                    except re.error:
                        ok = False
                if ok:
                    from aideals.schema_sql import regex_problem

                    ok = regex_problem(arg) is None
                self._need(ok, f"{where}: pattern", "a regular expression DuckDB can run (no lookaround or backreferences)")
            elif key == "type":
                types = {"string", "number", "integer", "boolean", "null", "object", "array"}
                self._need(arg in types or (isinstance(arg, list) and set(arg) <= types), f"{where}: type",
                           "a JSON type (" + ", ".join(sorted(types)) + ")")
            elif key == "fieldComparisons":
                self._need(isinstance(arg, list) and all(isinstance(c, dict) and {"left", "right", "op"} <= set(c) for c in arg),
                           f"{where}: fieldComparisons", "a list of {left, right, op}")

    def row(self, schema: dict | bool) -> Sql:
        """SQL true when the row object is valid against `schema`."""
        if schema is True:
            return Sql("true")
        if schema is False:
            return Sql("false")
        self._need(isinstance(schema, dict), "a rule", "an object, true or false")
        self._check_args(schema, None)
        terms: list[Sql] = []
        required = schema.get("required", [])
        properties = schema.get("properties", {})
        for key, arg in schema.items():
            if key in IGNORED or key in ("then", "else"):
                continue
            if key == "properties":
                for name, sub in arg.items():
                    if name in required:
                        # (NOT present OR value) AND present: the same, in one test less.
                        terms.append(Sql(f"({self.present(name)} AND ") + self.value(name, sub) + ")")
                    else:
                        terms.append(Sql(f"(NOT {self.present(name)} OR ") + self.value(name, sub) + ")")
            elif key == "required":
                terms.extend(Sql(self.present(n)) for n in arg if n not in properties)
            elif key == "if":
                cond = self.row(arg)
                then = self.row(schema.get("then", True))
                other = self.row(schema.get("else", True))
                terms.append(Sql("(CASE WHEN ") + cond + " THEN " + then + " ELSE " + other + " END)")
            elif key == "allOf":
                terms.extend(self.row(s) for s in arg)
            elif key == "anyOf":
                terms.append(self._join([self.row(s) for s in arg], "OR"))
            elif key == "oneOf":
                terms.append(self._join([Sql("(") + self.row(s) + ")::INTEGER" for s in arg], "+") + " = 1")
            elif key == "not":
                terms.append(Sql("NOT ") + self.row(arg))
            elif key == "dependentRequired":
                for name, needed in arg.items():
                    terms.append(Sql(f"(NOT {self.present(name)} OR (" + " AND ".join(self.present(n) for n in needed) + "))"))
            elif key == "fieldComparisons":
                for comp in arg:
                    if comp["op"] not in (">=", "<=", ">", "<", "!=", "=="):
                        raise AidealsError(f"row rules: unknown comparison {comp['op']!r}")
                    op = "=" if comp["op"] == "==" else comp["op"]
                    left, right = self.col(comp["left"]), self.col(comp["right"])
                    terms.append(Sql(f"({left} IS NULL OR {right} IS NULL OR {left} {op} {right})"))
            else:
                raise AidealsError(f"row rules: keyword {key!r} is not supported by the SQL engine")
        return self._join(terms, "AND") if terms else Sql("true")

    def value(self, name: str, schema: dict | bool) -> Sql:
        """SQL true when the (present) value of field `name` is valid against `schema`."""
        if isinstance(schema, bool):
            return Sql(str(schema).lower())
        self._need(isinstance(schema, dict), f"the rule on {name!r}", "an object, true or false")
        self._check_args(schema, name)
        col = self.col(name)
        numeric = self.kinds[name] in NUMERIC
        terms: list[Sql] = []
        for key, arg in schema.items():
            if key in IGNORED:
                continue
            if key in ("const", "enum"):
                options = [arg] if key == "const" else list(arg)
                same_type = [o for o in options if _json_matches(o, numeric)]
                if not same_type:
                    terms.append(Sql("false"))
                elif numeric and len(same_type) == 1:
                    terms.append(Sql(f"{col}::DOUBLE = ?::DOUBLE", [float(same_type[0])]))
                elif numeric:
                    terms.append(Sql(f"list_contains(?::DOUBLE[], {col}::DOUBLE)", [[float(o) for o in same_type]]))
                elif len(same_type) == 1:
                    terms.append(Sql(f"{col} = ?::VARCHAR", [same_type[0]]))
                else:
                    terms.append(Sql(f"list_contains(?::VARCHAR[], {col})", [same_type]))
            elif key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                op = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[key]
                # JSON Schema bounds apply to numbers only; NaN fails them as it does in Python.
                terms.append(Sql(f"(NOT isnan({col}) AND {col} {op} ?)", [float(arg)]) if numeric else Sql("true"))
            elif key in ("minLength", "maxLength"):
                op = ">=" if key == "minLength" else "<="
                terms.append(Sql("true") if numeric else Sql(f"length({col}) {op} ?", [int(arg)]))
            elif key == "pattern":
                terms.append(Sql("true") if numeric else Sql(f"regexp_matches({col}, ?)", [arg]))
            elif key == "not":
                terms.append(Sql("NOT ") + self.value(name, arg))
            elif key in ("allOf", "anyOf"):
                terms.append(self._join([self.value(name, s) for s in arg], "AND" if key == "allOf" else "OR"))
            else:
                raise AidealsError(f"row rules: keyword {key!r} on field {name!r} is not supported by the SQL engine")
        return self._join(terms, "AND") if terms else Sql("true")

    @staticmethod
    def _join(terms: list[Sql], op: str) -> Sql:
        out = Sql("(")
        for j, t in enumerate(terms):
            out = out + (f" {op} " if j else "") + t
        return out + ")"


def _json_matches(option: object, numeric: bool) -> bool:
    is_number = isinstance(option, (int, float)) and not isinstance(option, bool)
    return is_number if numeric else isinstance(option, str)


def shown(col: str, kind: str) -> str:
    """A field as `aideals.rules._show` prints it: integral numbers without `.0`, empty for null."""
    if kind in NUMERIC:
        return (
            f"coalesce(CASE WHEN isfinite({col}) AND {col} = trunc({col}) AND abs({col}) < 1e38 "
            f"THEN CAST(CAST({col} AS HUGEINT) AS VARCHAR) ELSE CAST({col} AS VARCHAR) END, '')"
        )
    return f"coalesce(CAST({col} AS VARCHAR), '')"


def message_sql(rule: dict, comp: RuleCompiler) -> Sql:
    """The rule's x-message as SQL: {value} is the blamed field, {other} the field compared to it."""
    kinds = comp.kinds
    blamed = rule.get("x-field")
    other = None
    for pair in rule.get("fieldComparisons", []):
        if pair["left"] == blamed:
            other = pair["right"]
    template = rule.get("x-message", rule.get("title", "rule failed"))
    out = Sql("(''")
    for text, name, _spec, _conv in string.Formatter().parse(template):
        if text:
            out = out + Sql(" || ?", [text])
        if name is None:
            continue
        target = blamed if name == "value" else other if name == "other" else name
        if target in kinds:
            out = out + f" || {shown(comp.col(target), kinds[target])}"
    return out + ")"


def _failed(comp: RuleCompiler, rule: dict) -> Sql:
    return Sql("NOT coalesce(") + comp.row(rule) + ", false)"


def rule_passes(rules: dict, comp: RuleCompiler) -> list[Sql]:
    """One SQL condition per rule, true when a row passes it."""
    return [Sql("coalesce(") + comp.row(rule) + ", false)" for rule in rules.get("allOf", [])]


def rules_pass(rules: dict, comp: RuleCompiler) -> Sql | None:
    """SQL true when a row passes every rule (None when there is no rule)."""
    passes = rule_passes(rules, comp)
    return joined(passes, " AND ") if passes else None


def rule_failures(rules: dict, comp: RuleCompiler, only: set[int] | None = None) -> Sql:
    """The list of a row's failed rules, structs (field, check, message, value) as in
    `schema_sql.failures`, empty when it passes them all. Meant for the few rows the scan's
    `rules_pass` did not clear: every rule is evaluated, or those at the positions in `only`
    (the others are known to pass)."""
    kinds = comp.kinds
    items: list[Sql] = []
    for k, rule in enumerate(rules.get("allOf", [])):
        if only is not None and k not in only:
            continue
        field = rule.get("x-field")
        value = f"NULLIF({shown(comp.col(field), kinds[field])}, '')" if field in kinds else "NULL"
        items.append(failure(_failed(comp, rule), field, rule.get("title", "rule"), message_sql(rule, comp), value))
    return failures(items) if items else NO_FAILURES
