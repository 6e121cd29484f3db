"""Channels and API views never write through the ORM (issue 10): they call the services of
the app that owns the data, which check, write in one transaction and audit.

Every non-test module under ``hpf/channels`` and ``hpf/api`` is parsed with ``ast``; a call of
a write method (``save``, ``delete``, ``create``, ``update``, ``bulk_create``, ``bulk_update``,
``get_or_create``, ``update_or_create``) on a manager or queryset chain (``X.objects…``,
``….filter(…)…``), a ``save()``/``delete()`` on anything but the cache or the session, and raw
SQL (``cursor.execute``) are refused, unless listed in ``ALLOWED`` with the reason. A
``services.py`` module is the owning app's service layer (the back office owns its staged
uploads, the API its tokens) and is not a view.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # hpf/
SCANNED = ("channels", "api")
WRITES = {
    "save",
    "delete",
    "create",
    "update",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
}
RAW_SQL = {"execute", "executemany"}
QUERYSET_STEPS = {"objects", "filter", "exclude", "all", "select_for_update", "select_related"}
SAFE_ROOTS = {"cache", "caches", "session", "register"}

# (module, function, method) → why it may write. Keep this short; each entry is a debt.
ALLOWED: dict[tuple[str, str, str], str] = {
    (
        "api/login.py",
        "login_start",
        "create",
    ): "hpf/api/login.py is the token login's service (the views are in views.py): it writes its own challenge rows",
    (
        "api/login.py",
        "login_verify",
        "save",
    ): "hpf/api/login.py is the token login's service (the views are in views.py): it writes its own challenge rows",
    (
        "api/login.py",
        "login_verify",
        "update",
    ): "hpf/api/login.py is the token login's service (the views are in views.py): it writes its own challenge rows",
}


def _chain(node: ast.expr) -> list[str]:
    """The names along a receiver: ``X.objects.filter(a=1).first`` → [X, objects, filter]."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Name):
            names.append(node.id)
            break
        else:
            break
    return names[::-1]


def _writes(source: str) -> list[tuple[str, str, int]]:
    """(function, method, line) of every ORM write in ``source``."""
    found: list[tuple[str, str, int]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute):
                method = child.func.attr
                receiver = _chain(child.func.value)
                root = receiver[0] if receiver else ""
                on_queryset = bool(QUERYSET_STEPS.intersection(receiver))
                if (
                    (method in WRITES and on_queryset)
                    or (
                        method in ("save", "delete")
                        and root not in SAFE_ROOTS
                        and "session" not in receiver
                    )
                    or method in RAW_SQL
                ):
                    found.append((name, method, child.lineno))
            visit(child, name)

    visit(ast.parse(source), "<module>")
    return found


def _modules() -> list[Path]:
    files = []
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "tests" in parts or "migrations" in parts or path.name == "services.py":
                continue
            files.append(path)
    return files


def test_channels_and_api_views_do_not_write_through_the_orm():
    offending = []
    used = set()
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        for function, method, line in _writes(path.read_text(encoding="utf-8")):
            key = (rel, function, method)
            if key in ALLOWED:
                used.add(key)
            else:
                offending.append(f"hpf/{rel}:{line} {function}() .{method}(")
    assert offending == [], "ORM writes in channel/API views:\n" + "\n".join(offending)
    assert set(ALLOWED) - used == set(), "stale allow-list entries"


def test_the_rule_sees_the_writes_it_is_for():
    source = """
def view(request):
    Thing.objects.create(a=1)
    Thing.objects.filter(a=1).update(a=2)
    obj.save()
    form.save()
    Thing.objects.get(pk=1).delete()
    Thing.objects.get_or_create(a=1)
    cursor.execute("DELETE FROM t")
    cache.delete("k")
    request.session.save()
    data.update({"a": 1})
    register.tags.update(x)
"""
    assert [m for _, m, _ in _writes(source)] == [
        "create",
        "update",
        "save",
        "save",
        "delete",
        "get_or_create",
        "execute",
    ]
