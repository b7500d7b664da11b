"""Every app module imports on its own: no import cycle hides behind the order Django happens to load things in.

One fresh interpreter sets Django up (which imports each app's models), then forks once per module and
imports only that module in the child: a module that works only when something else was imported first
fails here with its traceback. (To keep it quick the parent imports everything once first, and each
child forgets every app module Django's set-up did not load, so only third-party modules stay warm.)
The contracts between apps are import-linter's (``make lint``); this catches the cycles inside one app too.

A cycle need not fail an import (``from app import module`` both ways imports fine), so the graph is
also read statically (grimp, import-linter's reader): no app module may reach itself through the
imports of the app modules, wherever in a file they are (``if TYPE_CHECKING:`` blocks aside).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
# The project's own Django apps: the top-level folders with an apps.py.
APPS = tuple(sorted(path.parent.name for path in ROOT.glob("*/apps.py")))

PROBE = r"""
import importlib, os, sys, traceback
import django
django.setup()
apps = tuple(f"{app}." for app in os.environ["ACCORD_APPS"].split())
after_setup = set(sys.modules)
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)  # warm the third-party imports; failures are reported below
    except BaseException:
        pass
failed = 0
for name in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        for loaded in [m for m in sys.modules if m not in after_setup and m.startswith(apps)]:
            del sys.modules[loaded]
        try:
            importlib.import_module(name)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if status:
        failed += 1
        print(f"FAILED: import {name}", flush=True)
sys.exit(1 if failed else 0)
"""


def app_modules() -> list[str]:
    names = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            if "migrations" in rel.parts:
                continue
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            names.append(".".join(parts))
    return names


@pytest.mark.integration  # one child interpreter, forked once per module
def test_every_app_module_imports_on_its_own():
    modules = app_modules()
    assert len(modules) > 100  # the walk found the apps
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "governance.settings_test", "ACCORD_APPS": " ".join(APPS)}
    done = subprocess.run([sys.executable, "-c", PROBE, *modules], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]


def import_cycles(graph) -> list[list[str]]:
    """The strongly connected components (more than one module) of ``graph``'s imports (Tarjan)."""
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & graph.modules) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in modules:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_among_app_modules():
    graph = grimp.build_graph(*APPS, exclude_type_checking_imports=True, cache_dir=None)
    assert len(graph.modules) > 100  # the walk found the apps
    cycles = import_cycles(graph)
    assert cycles == [], "\n".join(" <-> ".join(c) for c in cycles)
