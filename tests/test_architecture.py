"""Imports point one way (docs/architecture.md, Rules), read from the source with ast, without importing it.

Every `import` of a project module counts, at module level or inside a function, except under `if TYPE_CHECKING:`.
Two kinds of import inside a function are allowed: a Celery task importing its own app's services (services import
the tasks at the top, so the task must import back late), and `AppConfig.ready()`.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("integrations", "actionkit", "actblue", "strive", "config")


@dataclass(frozen=True)
class Import:
    module: str  # The importing module.
    target: str  # The project module it imports.
    names: tuple[str, ...]  # What `from target import ...` takes; empty for `import target` or a submodule.
    line: int
    function: str | None  # The enclosing function, None at module (or class) level.
    allowed: bool  # In AppConfig.ready(), or a task importing its own services.

    def __str__(self) -> str:
        where = f" in {self.function}()" if self.function else ""
        return f"{self.module}:{self.line}{where} imports {self.target}"


def module_files(root: Path = ROOT) -> dict[str, Path]:
    files = {}
    for path in sorted(path for app in APPS for path in (root / app).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if "migrations" in parts:
            continue
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


MODULES = module_files()


def _resolve(name: str, modules) -> str | None:
    """The longest project module that `name` starts with."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _is_task(function) -> bool:
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
        if name in ("shared_task", "task"):
            return True
    return False


def _is_app_config(cls: ast.ClassDef) -> bool:
    return any((b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")) == "AppConfig" for b in cls.bases)


class _Scan(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, modules):
        self.module, self.is_package, self.modules = module, is_package, modules
        self.imports: list[Import] = []
        self.functions: list = []  # (function node, allowed kind: "ready", "task" or None)
        self.classes: list[ast.ClassDef] = []

    def visit_ClassDef(self, node):
        self.classes.append(node)
        self.generic_visit(node)
        self.classes.pop()

    def visit_FunctionDef(self, node):
        kind = None
        if not self.functions and self.classes and node.name == "ready" and _is_app_config(self.classes[-1]):
            kind = "ready"
        elif not self.functions and not self.classes and _is_task(node) and self.module.endswith(".tasks"):
            kind = "task"
        self.functions.append((node, kind))
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_If(self, node):
        if _is_type_checking(node):
            for child in node.orelse:
                self.visit(child)
            return  # Never runs: annotations only.
        self.generic_visit(node)

    def visit_Import(self, node):
        for alias in node.names:
            self._add(alias.name, (), node.lineno)

    def visit_ImportFrom(self, node):
        base = _absolute(self.module, self.is_package, node)
        submodules = [alias.name for alias in node.names if f"{base}.{alias.name}" in self.modules]
        taken = tuple(alias.name for alias in node.names if alias.name not in submodules)
        if taken or base in self.modules:  # Importing a submodule runs its package first.
            self._add(base, taken, node.lineno)
        for name in submodules:
            self._add(f"{base}.{name}", (), node.lineno)

    def _add(self, name: str, names: tuple[str, ...], line: int) -> None:
        target = _resolve(name, self.modules)
        if target is None or target == self.module:
            return
        function, kind = self.functions[0] if self.functions else (None, None)
        own_services = self.module.removesuffix(".tasks") + ".services"
        allowed = kind == "ready" or (kind == "task" and (target == own_services or target.startswith(own_services + ".")))
        self.imports.append(Import(self.module, target, names, line, function.name if function else None, allowed))


def scan_source(module: str, source: str, modules, is_package: bool = False) -> list[Import]:
    scan = _Scan(module, is_package, modules)
    scan.visit(ast.parse(source))
    return scan.imports


def scan(modules=MODULES) -> list[Import]:
    found = []
    for module, path in modules.items():
        found += scan_source(module, path.read_text(), modules, is_package=path.name == "__init__.py")
    return found


IMPORTS = scan()


def cycles(imports: list[Import]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        graph.setdefault(imp.module, set()).add(imp.target)
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_scan_reads_the_project():
    assert len(MODULES) > 100 and "integrations.tasks" in MODULES and "strive.activity.apps" in MODULES
    assert any(imp.allowed and imp.function == "ready" for imp in IMPORTS)
    assert any(imp.allowed and imp.module == "integrations.tasks" for imp in IMPORTS)


def test_no_import_cycles_between_modules():
    runtime = [imp for imp in IMPORTS if not imp.allowed]
    found = cycles(runtime)
    details = [[str(imp) for imp in runtime if imp.module in group and imp.target in group] for group in found]
    assert not found, "Modules that import each other:\n" + "\n".join("\n".join(lines) + "\n" for lines in details)


def test_no_import_inside_a_function_but_tasks_and_ready():
    inner = [str(imp) for imp in IMPORTS if imp.function and not imp.allowed]
    assert not inner, "Move these imports to the module top (or the shared code into a module both can import):\n" + (
        "\n".join(inner))


def test_no_private_name_crosses_a_module():
    private = [f"{imp}: {name}" for imp in IMPORTS for name in imp.names
               if name.startswith("_") and not name.startswith("__")]
    private += [f"{where}: {name}" for where, name in _private_attributes()]
    assert not private, "Make these public (or keep them in their module):\n" + "\n".join(private)


def _private_attributes():
    """`module._name` where `module` is a project module imported under that name (e.g. `backfills._queue`)."""
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text())
        bound = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    bound[alias.asname or alias.name.partition(".")[0]] = alias.name if alias.asname else alias.name.partition(".")[0]
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(module, path.name == "__init__.py", node)
                for alias in node.names:
                    if f"{base}.{alias.name}" in MODULES:
                        bound[alias.asname or alias.name] = f"{base}.{alias.name}"
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                dotted, value = [], node.value
                while isinstance(value, ast.Attribute):
                    dotted.insert(0, value.attr)
                    value = value.value
                if isinstance(value, ast.Name) and value.id in bound:
                    owner = ".".join([bound[value.id], *dotted])
                    if owner in MODULES and owner != module:
                        yield f"{module}:{node.lineno} uses {owner}", node.attr


def _in_activity(module: str) -> bool:
    return module == "strive.activity" or module.startswith("strive.activity.")


def test_strive_never_imports_strive_activity():
    backwards = [str(imp) for imp in IMPORTS
                 if imp.module.split(".")[0] == "strive" and not _in_activity(imp.module) and _in_activity(imp.target)]
    assert not backwards, "strive.activity depends on strive, never back; register a hook instead:\n" + "\n".join(backwards)


@pytest.mark.parametrize("task", [imp for imp in IMPORTS if imp.allowed and imp.function != "ready"], ids=str)
def test_a_task_calls_the_service_of_its_name(task):
    """A task and a service that share a name do the same thing, so each task calls the service named like it."""
    tree = ast.parse(MODULES[task.module].read_text())
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == task.function)
    called = {getattr(call.func, "attr", getattr(call.func, "id", None)) for call in ast.walk(function)
              if isinstance(call, ast.Call)}
    assert task.function in called, f"{task.module}.{task.function} calls no service named {task.function}"


# The rules above, on small sources: each check would see what it is there to catch.
FAKE = {"app", "app.apps", "app.tasks", "app.services", "app.services.a", "app.services.b", "app.other"}


@pytest.mark.parametrize("module, source, expected", [
    ("app.services.a", "def f():\n    from app.services.b import g\n", [("app.services.b", "f", False)]),
    ("app.tasks", "@shared_task(name='app.t')\ndef t():\n    from app.services import a\n",
     [("app.services", "t", True), ("app.services.a", "t", True)]),
    ("app.tasks", "@shared_task\ndef t():\n    from app.other import x\n", [("app.other", "t", False)]),
    ("app.other", "@shared_task\ndef t():\n    from app.services.a import x\n", [("app.services.a", "t", False)]),
    ("app.apps", "class C(AppConfig):\n    def ready(self):\n        from app.other import x\n", [("app.other", "ready", True)]),
    ("app.other", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from app.services.a import X\n", []),
    ("app.services.a", "from .b import _g\n", [("app.services.b", None, False)]),
], ids=["inner", "task-own-service", "task-elsewhere", "not-a-tasks-module", "ready", "type-checking", "relative"])
def test_the_scan_sorts_imports(module, source, expected):
    found = [(imp.target, imp.function, imp.allowed) for imp in scan_source(module, source, FAKE)]
    assert found == expected


def test_cycles_are_found_through_function_level_imports():
    imports = scan_source("app.services.a", "from app.services.b import x\n", FAKE) + scan_source(
        "app.services.b", "def f():\n    from app.services.a import y\n", FAKE)
    assert cycles(imports) == [["app.services.a", "app.services.b"]]


def test_every_setting_is_read_plainly():
    """Every setting is declared in config/settings.py with its default, so nothing reads one through getattr."""
    files = [*MODULES.values(), *sorted((ROOT / "tests").rglob("*.py"))]
    found = [f"{path.relative_to(ROOT)}:{node.lineno}" for path in files for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "getattr" and node.args
             and getattr(node.args[0], "id", None) == "settings"]
    assert not found, "Declare the setting in config/settings.py and read settings.NAME:\n" + "\n".join(found)


def test_settings_make_no_folder():
    """Importing config/settings.py writes nothing; the folders are made where they are used (config/celery.py, make)."""
    tree = ast.parse((ROOT / "config" / "settings.py").read_text())
    made = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("mkdir", "makedirs")]
    assert not made, f"config/settings.py makes folders at lines {made}"


def test_no_section_reference_points_outside_the_repository():
    """Section-sign references pointed at documents outside the repository; say what is meant, or name a docs/ page."""
    files = [path for pattern in ("*.py", "*.md", "*.html") for path in ROOT.rglob(pattern)
             if not {".venv", "var", "node_modules"} & set(path.relative_to(ROOT).parts)]
    found = [f"{path.relative_to(ROOT)}:{number}" for path in files
             for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1) if "\u00a7" in line]
    assert not found, "\n".join(found)
