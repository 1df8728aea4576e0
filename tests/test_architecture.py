"""Layout rules that keep the project honest."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_safetystats_never_imports_django_statically():
    offenders = []
    for path in (ROOT / "safetystats").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(ROOT)}: {n}"
                for n in names
                if n.split(".")[0] in {"django", "hotspot"}
            ]
    assert not offenders, offenders


def test_safetystats_never_imports_django_at_runtime():
    # Import every module of the library in a fresh interpreter and check nothing pulled Django in.
    code = (
        "import importlib, pkgutil, sys, safetystats\n"
        "for m in pkgutil.walk_packages(safetystats.__path__, 'safetystats.'):\n"
        "    if '.tests' not in m.name: importlib.import_module(m.name)\n"
        "bad = sorted(k for k in sys.modules if k == 'django' or k.startswith(('django.', 'hotspot')))\n"
        "assert not bad, bad\n"
        "print('ok', len([k for k in sys.modules if k.startswith('safetystats')]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


def test_vendored_libraries_are_documented():
    notes = (ROOT / "docs" / "vendor.md").read_text(encoding="utf-8")
    for name in ("dkfds", "leaflet", "chart.js", "chartjs-plugin-annotation", "axe-core"):
        assert name in notes
    for folder in (ROOT / "hotspot" / "static" / "vendor").iterdir():
        assert any(p.name.upper().startswith("LICENSE") for p in folder.iterdir()), folder
