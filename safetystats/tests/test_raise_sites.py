"""Every construction of a SafetystatsError passes the params its translated text names.

A page words a refusal from ``exc.code`` and ``exc.params`` (the English ``str(exc)`` never reaches
it). When a raise site leaves out a param that the code's text uses, say ``%(name)s``, the text
cannot be formatted and the reader gets the generic "could not be made" sentence instead of being
told which argument was wrong. The texts live in the Django layer's catalogue
(``hotspot/indicators/library_messages.py``); it is read here as source, never imported, so the
library's tests stay free of Django.
"""

import ast
import pathlib
import re

import pytest

from safetystats.errors import CODES

LIBRARY = pathlib.Path(__file__).resolve().parents[1]
CATALOGUE = LIBRARY.parent / "hotspot" / "indicators" / "library_messages.py"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def catalogue_placeholders(source: str) -> dict[str, set[str]]:
    """code → the placeholders of its text, from every ``"code": _("text")`` in a dict literal."""
    found = {}
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Dict):
            continue
        for key, value in zip(node.keys, node.values):
            if (
                isinstance(key, ast.Constant)
                and isinstance(key.value, str)
                and isinstance(value, ast.Call)
                and value.args
                and isinstance(value.args[0], ast.Constant)
                and isinstance(value.args[0].value, str)
            ):
                found[key.value] = set(PLACEHOLDER.findall(value.args[0].value))
    return found


def _is_error_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name == "SafetystatsError"


def _code_default(func: ast.FunctionDef):
    """The literal default of a ``code`` parameter (``None`` when it has none)."""
    args = func.args
    pairs = list(zip(args.args[len(args.args) - len(args.defaults) :], args.defaults))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
    for arg, default in pairs:
        if arg.arg == "code" and isinstance(default, ast.Constant):
            return default.value
    return None


def code_helpers(tree: ast.AST) -> dict[str, tuple[str | None, set[str]]]:
    """Checks that raise the code their caller names: function → (default code, params passed).

    ``check_non_negative(w, "weights", code="survey.weights")`` raises ``SafetystatsError(code,
    …)``; the call site is then checked against the params the helper passes.
    """
    helpers = {}
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef):
            continue
        for node in ast.walk(func):
            if (
                _is_error_call(node)
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id == "code"
            ):
                helpers[func.name] = (_code_default(func), {k.arg for k in node.keywords})
    return helpers


def construction_sites(tree: ast.AST, helpers: dict) -> list[tuple[int, str, set]]:
    """(line, code, params passed) of every literal code that ends up in a SafetystatsError."""
    sites = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if _is_error_call(node):
            code = node.args[0] if node.args else None
            if isinstance(code, ast.Constant) and isinstance(code.value, str):
                sites.append((node.lineno, code.value, {k.arg for k in node.keywords}))
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name not in helpers:
            continue
        default, passed = helpers[name]
        given = [k.value for k in node.keywords if k.arg == "code"]
        if given and isinstance(given[0], ast.Constant):
            sites.append((node.lineno, given[0].value, passed))
        elif not given and default is not None:
            sites.append((node.lineno, default, passed))
    return sites


def unformattable_sites(
    source: str, placeholders: dict[str, set[str]], where: str = "", helpers=None
) -> list:
    """``file:line code missing`` for every construction that cannot fill its code's text.

    A ``**params`` splat cannot be checked statically and is reported too; a non-literal code is
    reported by ``test_errors``.
    """
    tree = ast.parse(source)
    problems = []
    for line, code, passed in construction_sites(tree, helpers or code_helpers(tree)):
        if None in passed:
            problems.append((line, f"{code}: **params cannot be checked"))
            continue
        missing = sorted(placeholders.get(code, set()) - passed)
        if missing:
            problems.append((line, f"{code}: missing {missing}"))
    return [f"{where}:{line} {text}" for line, text in sorted(problems)]


def library_sources():
    for path in sorted(LIBRARY.rglob("*.py")):
        if "tests" in path.parts or path.name == "errors.py":
            continue
        yield path


@pytest.fixture(scope="module")
def placeholders():
    assert CATALOGUE.is_file(), f"the catalogue of translated texts is gone: {CATALOGUE}"
    found = catalogue_placeholders(CATALOGUE.read_text(encoding="utf-8"))
    # the parse must see the catalogue, or every site would pass for want of templates
    assert set(CODES) <= set(found), sorted(set(CODES) - set(found))
    return found


def library_helpers() -> dict:
    helpers = {}
    for path in library_sources():
        helpers.update(code_helpers(ast.parse(path.read_text(encoding="utf-8"))))
    return helpers


def test_every_raise_site_passes_the_params_its_text_names(placeholders):
    helpers = library_helpers()
    assert {"check_non_negative", "check_level"} <= set(helpers)  # the parse sees them
    problems = []
    for path in library_sources():
        rel = path.relative_to(LIBRARY.parent)
        source = path.read_text(encoding="utf-8")
        problems += unformattable_sites(source, placeholders, str(rel), helpers)
    assert not problems, "\n".join(problems)


# the two raise sites of rates.py before they passed name= (the Danish text says which argument)
OLD_RATES = """
def _as_float(x, name):
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise SafetystatsError(
            "input.not_numbers", f"{name}: expected numbers, got {type(x).__name__}"
        ) from exc
    return arr


def _keys(values, name):
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise errors.SafetystatsError(
            "input.shape", f"{name}: expected a 1-D array, got shape {arr.shape}"
        )
"""


def test_the_check_finds_sites_that_leave_a_param_out(placeholders):
    problems = unformattable_sites(OLD_RATES, placeholders, "rates.py")
    assert problems == [
        "rates.py:6 input.not_numbers: missing ['name']",
        "rates.py:15 input.shape: missing ['name']",
    ]
    splat = "raise SafetystatsError('input.shape', 'x', **params)"
    assert unformattable_sites(splat, placeholders) == [
        ":1 input.shape: **params cannot be checked"
    ]
    fine = "raise SafetystatsError('input.shape', 'x', name='y', given=1)"
    assert unformattable_sites(fine, placeholders) == []


HELPER = """
def check(x, *, code="input.level"):
    raise SafetystatsError(code, "x", given=x)


check(1)
check(2, code="input.shape")
check(3, code="input.empty")
"""


def test_the_check_follows_codes_through_a_helper(placeholders):
    # input.level needs nothing, input.empty nothing; input.shape names the argument
    assert placeholders["input.shape"] == {"name"}
    assert unformattable_sites(HELPER, placeholders) == [":7 input.shape: missing ['name']"]


def test_the_catalogue_parse_reads_placeholders_of_concatenated_texts():
    source = 'M = {"a.b": _("one %(name)s " "two %(count)s"), "c.d": _("none")}'
    assert catalogue_placeholders(source) == {"a.b": {"name", "count"}, "c.d": set()}
