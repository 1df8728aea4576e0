"""Layout rules that keep the project honest."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


#: The pure packages and what each may never import. ``safetystats`` (the analysis library) and
#: ``democity`` (the demo city generator) never import Django or the project; the library never imports
#: the demo generator either (its tests included: the demo city's planted truth is tested in democity).
PURE = {
    "safetystats": {"django", "hotspot", "democity"},
    "democity": {"django", "hotspot"},
}
#: Demo content: the demo app and the generator. Only the demo app, tests and benchmarks import them.
DEMO = ("hotspot.demo", "democity")


def imported_modules(path: Path) -> list[str]:
    """Every module an ``import`` or ``from … import`` in ``path`` names, relative imports resolved."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parent + ([base] if base else []))
            found.append(base)
            found += [f"{base}.{a.name}" for a in node.names]  # from hotspot import demo
    return found


def _is_under(module: str, packages) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def static_offenders(package: str, banned) -> list[str]:
    paths = sorted((ROOT / package).rglob("*.py"))
    assert paths, f"no modules in {package}/"
    return [
        f"{path.relative_to(ROOT)}: {name}"
        for path in paths
        for name in imported_modules(path)
        if _is_under(name, banned)
    ]


def production_modules():
    """Every module of the Django project except the demo app, the tests and the test settings."""
    for path in sorted((ROOT / "hotspot").rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[:2] == ("hotspot", "demo") or "tests" in rel.parts:
            continue
        if path.name in ("conftest.py", "test_settings.py"):
            continue
        yield path


@pytest.mark.parametrize("package", sorted(PURE))
def test_pure_packages_never_import_django_statically(package):
    offenders = static_offenders(package, PURE[package])
    assert not offenders, offenders


@pytest.mark.parametrize("package", sorted(PURE))
def test_pure_packages_never_import_django_at_runtime(package):
    # Import every module of the package in a fresh interpreter and check nothing pulled Django in.
    banned = tuple(PURE[package])
    code = (
        f"import importlib, pkgutil, sys, {package}\n"
        f"for m in pkgutil.walk_packages({package}.__path__, '{package}.'):\n"
        "    if '.tests' not in m.name: importlib.import_module(m.name)\n"
        f"bad = sorted(k for k in sys.modules if k.split('.')[0] in {banned!r})\n"
        "assert not bad, bad\n"
        f"print('ok', len([k for k in sys.modules if k.startswith('{package}')]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


def test_production_code_never_imports_the_demo():
    """No app but ``hotspot/demo`` imports the demo app or the generator, nor names them in a string
    (``importlib``, ``call_command`` by module path); only the settings name the demo app to install it."""
    offenders = []
    for path in production_modules():
        rel = path.relative_to(ROOT)
        offenders += [f"{rel}: import {n}" for n in imported_modules(path) if _is_under(n, DEMO)]
        if path.name == "settings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if _is_under(node.value, DEMO):
                    offenders.append(f"{rel}:{node.lineno}: {node.value!r}")
    assert not offenders, offenders


def test_the_checker_sees_every_form_of_import(tmp_path, monkeypatch):
    # The static check above is only as good as imported_modules: it must see each way to spell it.
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    module = tmp_path / "hotspot" / "programmes" / "actions.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "import democity\nfrom hotspot.demo.models import DemoCity\nfrom hotspot import demo\n"
        "from ..demo import programmes\nfrom . import inputs\n",
        encoding="utf-8",
    )
    names = imported_modules(module)
    assert [n for n in names if _is_under(n, DEMO)] == [
        "democity",
        "hotspot.demo.models",
        "hotspot.demo.models.DemoCity",
        "hotspot.demo",
        "hotspot.demo",
        "hotspot.demo.programmes",
    ]
    assert "hotspot.programmes.inputs" in names


def test_production_settings_leave_the_demo_app_out(tmp_path):
    """With DEMO_MODE off the demo app is not installed, every production module imports without it,
    the system checks pass and no migration is missing (no production model points at a demo model)."""
    modules = [
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in production_modules()
    ]
    assert "hotspot.programmes.actions" in modules and "hotspot.demo.studies" not in modules
    code = (
        "import importlib, sys, django\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        "assert 'hotspot.demo' not in settings.INSTALLED_APPS, settings.INSTALLED_APPS\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "from django.core.management import call_command\n"
        "call_command('check')\n"
        "call_command('makemigrations', check=True, dry_run=True, verbosity=0)\n"
        "bad = sorted(k for k in sys.modules if k.split('.')[0] == 'democity'\n"
        "             or k == 'hotspot.demo' or k.startswith('hotspot.demo.'))\n"
        "assert not bad, bad\n"
        "print('ok')\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hotspot.settings",
        "DEBUG": "0",
        "DEMO_MODE": "0",
        "SECRET_KEY": "architecture-test-" + "k" * 50,
        "ALLOWED_HOSTS": "hotspot.example.dk",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
        "VAR_DIR": str(tmp_path / "var"),
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("ok")


#: The apps' layers, lowest first: an app may import its own layer or lower ones, never a higher one, and
#: apps of one layer never import each other both ways. ``reports`` (audited exports and PDFs) sits right
#: above ``audit``, since every app's downloads go through it. Project-level modules below every app
#: (``hotspot/parsing.py``, ``hotspot/downloads.py``, ``config.py``) and above every app (``overview.py``,
#: ``urls.py``, ``settings.py``) are not apps; the demo app may import anything (and nothing imports it).
LAYERS = [
    {"accounts"},
    {"audit"},
    {"reports"},
    {"areas", "incidents", "surveys"},
    # the measures layer (indicators/measures.py) reads the data apps below it
    {"indicators"},
    {"imports"},
    {"indices", "programmes"},
    # casework's lists and follow-ups belong to a programme; a spatial run's hot cells become a
    # programme's places and feed the selection dossier (registered with indices, not imported by it)
    {"casework", "spatial"},
    # notifications read programmes, casework and imports for the digest; a residents' page shows a
    # programme and its areas' figures
    {"evaluations", "notifications", "public"},
    # the JSON API serves the objects of every app below it
    {"api"},
]


def app_imports() -> dict[tuple[str, str], list[str]]:
    """{(app, imported app): [files]} over the production modules."""
    apps = {p.name for p in (ROOT / "hotspot").iterdir() if (p / "apps.py").exists()}
    edges: dict[tuple[str, str], list[str]] = {}
    for path in production_modules():
        rel = path.relative_to(ROOT).parts
        if len(rel) < 3 or rel[1] not in apps:
            continue
        for name in imported_modules(path):
            parts = name.split(".")
            if (
                len(parts) >= 2
                and parts[0] == "hotspot"
                and parts[1] in apps
                and parts[1] != rel[1]
            ):
                edges.setdefault((rel[1], parts[1]), []).append(str(path.relative_to(ROOT)))
    return edges


def test_apps_import_downwards_only():
    rank = {app: k for k, layer in enumerate(LAYERS) for app in layer}
    edges = app_imports()
    apps = {a for edge in edges for a in edge} - {"demo"}
    assert apps <= set(rank), f"apps without a layer in LAYERS: {sorted(apps - set(rank))}"
    upwards = [
        f"{a} -> {b} ({files[0]})"
        for (a, b), files in sorted(edges.items())
        if a != "demo" and rank[b] > rank[a]
    ]
    both_ways = [f"{a} <-> {b}" for (a, b) in sorted(edges) if a < b and (b, a) in edges]
    assert not upwards, "imports against the layer order: " + "; ".join(upwards)
    assert not both_ways, "apps that import each other: " + "; ".join(both_ways)


def test_the_layer_check_sees_an_upward_import(monkeypatch):
    real = app_imports()
    monkeypatch.setattr(
        sys.modules[__name__],
        "app_imports",
        lambda: {**real, ("accounts", "areas"): ["hotspot/accounts/views.py"]},
    )
    with pytest.raises(AssertionError, match="accounts -> areas"):
        test_apps_import_downwards_only()


def test_vendored_libraries_are_documented():
    notes = (ROOT / "docs" / "vendor.md").read_text(encoding="utf-8")
    for name in ("dkfds", "leaflet", "chart.js", "chartjs-plugin-annotation", "axe-core"):
        assert name in notes
    for folder in (ROOT / "hotspot" / "static" / "vendor").iterdir():
        assert any(p.name.upper().startswith("LICENSE") for p in folder.iterdir()), folder


#: The one writer of export audit rows and the modules that may call it (issue 11, part 5): every other
#: download goes through ``hotspot.reports.exports`` or ``hotspot.reports.pdf``.
EXPORT_WRITER = "hotspot/audit/actions.py"
EXPORT_CALLERS = {"hotspot/reports/exports.py", "hotspot/reports/pdf.py", "hotspot/audit/views.py"}


def export_writers() -> dict[str, list[str]]:
    """{file: [what it uses]} for production modules that write export rows themselves."""
    found: dict[str, list[str]] = {}
    for path in production_modules():
        rel = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
        if rel == EXPORT_WRITER:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "EXPORT":
                found.setdefault(rel, []).append("Action.EXPORT")
            elif isinstance(node, ast.Name | ast.Attribute) and rel not in EXPORT_CALLERS:
                name = node.id if isinstance(node, ast.Name) else node.attr
                if name == "record_export":
                    found.setdefault(rel, []).append("record_export")
    return found


def test_every_download_is_audited_in_one_place():
    writers = export_writers()
    assert not writers, "modules that record exports themselves: " + "; ".join(
        f"{f} ({', '.join(sorted(set(u)))})" for f, u in sorted(writers.items())
    )


def test_the_export_check_sees_a_view_recording_its_own_export(tmp_path, monkeypatch):
    real = list(production_modules())
    rogue, caller = tmp_path / "views.py", tmp_path / "other.py"
    rogue.write_text("record(Action.EXPORT, actor=None)\n", encoding="utf-8")
    caller.write_text("record_export(request, count=1)\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "production_modules", lambda: [*real, rogue, caller])
    assert export_writers() == {
        str(rogue): ["Action.EXPORT"],
        str(caller): ["record_export"],
    }


# -- Page context and tenant data (issue 11, parts 4 and 6) -----------------------------------------------
#: The modules that answer requests or build what a page shows.
PAGE_MODULES = ("views.py", "pages.py", "api.py", "overview.py")
#: Query methods whose keywords could scope a query to a municipality by hand.
QUERY_METHODS = {"filter", "exclude", "get", "get_or_create", "update_or_create", "aggregate"}


def page_modules():
    for path in production_modules():
        if path.name in PAGE_MODULES:
            yield path


def _is_municipality_lookup(keyword: str) -> bool:
    parts = keyword.split("__")
    return any(p in ("municipality", "municipality_id") for p in parts)


def hand_written_tenant_filters() -> list[str]:
    """Queries in page modules that filter on a municipality themselves instead of through the
    tenant queryset (``visible_to(user, capability)``, ``in_municipality(municipality)``, which know each
    model's path to its municipality) or ``get_for_user``."""
    found = []
    for path in page_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in QUERY_METHODS
            ):
                for kw in node.keywords:
                    if kw.arg and _is_municipality_lookup(kw.arg):
                        found.append(f"{path.name} in {path.parent.name}:{node.lineno} ({kw.arg}=)")
    return found


def test_page_modules_reach_tenant_data_only_through_the_tenant_queryset():
    found = hand_written_tenant_filters()
    assert not found, "municipality filters written by hand: " + "; ".join(found)


def test_the_tenant_check_sees_a_hand_written_filter(tmp_path, monkeypatch):
    rogue = tmp_path / "views.py"
    rogue.write_text(
        "def page(request):\n"
        "    return Area.objects.filter(kind='x', area__municipality=request.municipality)\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(sys.modules[__name__], "page_modules", lambda: [rogue])
    assert hand_written_tenant_filters() == [f"views.py in {tmp_path.name}:2 (area__municipality=)"]


def page_shape_offenders(paths) -> list[str]:
    """Functions that break the page shape: every top-level function of a ``views.py`` takes the request
    first (fetch → call pages/actions → respond), and nothing in a ``pages.py`` takes a request (page
    context is a function of objects and the user, testable without the client)."""
    bad = []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = f"{path.parent.name}/{path.name}"
        if path.name == "views.py":
            for node in tree.body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    args = node.args.posonlyargs + node.args.args
                    if not args or args[0].arg != "request":
                        bad.append(f"{where}: {node.name} does not take the request first")
        elif path.name == "pages.py":
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    a = node.args
                    names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
                    if "request" in names:
                        bad.append(f"{where}: {node.name} takes a request")
    return bad


def test_views_take_the_request_and_pages_never_do():
    paths = [p for p in production_modules() if p.name in ("views.py", "pages.py")]
    assert any(p.name == "pages.py" for p in paths)
    bad = page_shape_offenders(paths)
    assert not bad, "; ".join(bad)


def test_the_page_shape_check_sees_both_breaks(tmp_path):
    (tmp_path / "views.py").write_text("def helper(rows):\n    return rows\n", encoding="utf-8")
    (tmp_path / "pages.py").write_text(
        "def context(request, area):\n    return {}\n", encoding="utf-8"
    )
    assert page_shape_offenders([tmp_path / "views.py", tmp_path / "pages.py"]) == [
        f"{tmp_path.name}/views.py: helper does not take the request first",
        f"{tmp_path.name}/pages.py: context takes a request",
    ]
