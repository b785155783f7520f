"""Who may import what: the dependency rules of docs/architecture.md, checked on the source.

Every module under ``src/hotline`` is parsed with :mod:`ast` and every import in it is
checked, wherever it sits: at the top, inside a function, under ``if TYPE_CHECKING:``, as
``from x import y`` (where ``y`` may be a module), relative, or through
``importlib.import_module("...")`` with a literal name. The tables below are the rules; the
same tables are in the document, and a test keeps the two equal.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
DOC = ROOT / "docs" / "architecture.md"
RULES_SECTION = "## Who may import what"

ANY = "*"
"""In :data:`ALLOWED`: the package may import anything in hotline (the CLI only)."""

ROOT_MODULE = "hotline"
"""The root module holds only the version and imports nothing: anyone may import it. As a
table entry it means that module alone, never "everything under hotline"."""

# What each package may import besides itself. An entry is a package (and with it every
# module under it) or a single module. Read across a row: ``hotline.hosting`` may read the
# captures *tables* (``hotline.captures.models``), not the captures services.
ALLOWED: dict[str, frozenset[str]] = {
    "hotline": frozenset(),
    "hotline.urls": frozenset(),
    "hotline.store": frozenset(),
    "hotline.accounts": frozenset(
        {"hotline.store", "hotline.intake.models", "hotline.quarantine", "hotline.urls"}
    ),
    "hotline.quarantine": frozenset({"hotline.store"}),
    "hotline.intake": frozenset({"hotline.urls", "hotline.store", "hotline.quarantine"}),
    "hotline.captures": frozenset(
        {"hotline.urls", "hotline.store", "hotline.intake.models", "hotline.quarantine"}
    ),
    "hotline.hosting": frozenset(
        {
            "hotline.urls",
            "hotline.store",
            "hotline.intake.models",
            "hotline.accounts",
            "hotline.quarantine",
            "hotline.captures.models",
        }
    ),
    "hotline.attribution": frozenset(
        {
            "hotline.urls",
            "hotline.store",
            "hotline.intake.models",
            "hotline.accounts",
            "hotline.captures.models",
            "hotline.captures.page_class",
            "hotline.captures.extractors.brand",
            "hotline.hosting.models",
        }
    ),
    "hotline.hashes": frozenset(
        {
            "hotline.store",
            "hotline.intake.models",
            "hotline.accounts",
            "hotline.quarantine",
            "hotline.captures.models",
        }
    ),
    "hotline.casework": frozenset(
        {
            "hotline.urls",
            "hotline.store",
            "hotline.accounts",
            "hotline.quarantine",
            "hotline.intake.models",
            "hotline.captures.models",
            "hotline.captures.page_class",
            "hotline.hosting.models",
            "hotline.attribution.models",
            "hotline.hashes.pdq_index",
        }
    ),
    "hotline.strategic": frozenset(
        {
            "hotline.urls",
            "hotline.store",
            "hotline.intake.models",
            "hotline.captures.models",
            "hotline.hosting.models",
            "hotline.hosting.current",
            "hotline.attribution.models",
            "hotline.hashes.models",
            "hotline.hashes.queries",
            "hotline.casework.queries",
        }
    ),
    "hotline.sharing": frozenset(
        {
            "hotline.urls",
            "hotline.store",
            "hotline.intake.models",
            "hotline.captures.models",
            "hotline.hosting.models",
            "hotline.attribution.models",
            "hotline.hashes.queries",
        }
    ),
    "hotline.synth": frozenset(
        {
            "hotline.urls",
            "hotline.captures.bitcoin",
            "hotline.captures.altcoins",
            "hotline.captures.media",
        }
    ),
    "hotline.pipeline": frozenset(
        {
            "hotline.store",
            "hotline.accounts",
            "hotline.intake",
            "hotline.captures",
            "hotline.hosting",
            "hotline.attribution",
            "hotline.strategic",
        }
    ),
    "hotline.cli": frozenset({ANY}),
    "hotline.web": frozenset(
        {
            "hotline.urls",
            "hotline.store",
            "hotline.accounts",
            "hotline.intake",
            "hotline.captures",
            "hotline.hosting",
            "hotline.attribution",
            "hotline.sharing",
            "hotline.pipeline",
            "hotline.hashes.queries",
            "hotline.strategic",
            "hotline.casework",
        }
    ),
}

# Known exceptions: one module that imports more than its package may.
EXCEPTIONS: dict[str, frozenset[str]] = {
    "hotline.store.migrations.env": frozenset(
        {
            "hotline.accounts.models",
            "hotline.captures.models",
            "hotline.casework.models",
            "hotline.hashes.models",
            "hotline.hosting.models",
            "hotline.hosting.rdap_store",
            "hotline.attribution.models",
            "hotline.intake.models",
            "hotline.quarantine",
        }
    ),
    "hotline.strategic.build": frozenset({"hotline.attribution.method"}),
}

# Third-party frameworks that belong to one layer: imported only under these names.
LIBRARIES: dict[str, frozenset[str]] = {
    "typer": frozenset({"hotline.cli"}),
    "rich": frozenset({"hotline.cli", "hotline.strategic.terminal"}),
    "alembic": frozenset({"hotline.store"}),
    "fastapi": frozenset({"hotline.web"}),
    "starlette": frozenset({"hotline.web"}),
    "jinja2": frozenset({"hotline.web"}),
    "uvicorn": frozenset({"hotline.cli.serve"}),
    "argon2": frozenset({"hotline.accounts.credentials"}),
    "authlib": frozenset({"hotline.accounts.sso"}),
    "joserfc": frozenset({"hotline.accounts.sso"}),
}

# Front ends (the CLI and the web application) call services and read through query
# functions: they never import a table module nor build SQL statements themselves.
FRONT_ENDS = frozenset({"hotline.cli", "hotline.web"})
STATEMENTS = frozenset({"select", "insert", "update", "delete", "text", "func", "Table"})


def front_end_violations(module: str, source: str) -> list[Violation]:
    """Imports of table modules (``*.models``) and of SQLAlchemy's statement builders."""
    if not any(covers(front, module) for front in FRONT_ENDS):
        return []
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and not node.level:
            base = node.module or ""
            names = {alias.name for alias in node.names}
            if base.split(".")[0] == "sqlalchemy" and names & STATEMENTS:
                rule = "a front end builds no SQL: ask a query function or a service"
                found.append(Violation(module, f"{base}: {_names(names & STATEMENTS)}",
                                       node.lineno, rule))  # fmt: skip
            targets = [base, *(f"{base}.{name}" for name in names)]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        for target in targets:
            if target.startswith(ROOT_MODULE + ".") and target.split(".")[-1] == "models":
                rule = "a front end never touches tables: call a service or a query function"
                found.append(Violation(module, target, node.lineno, rule))
    return found


# Pure cores: modules (or whole packages) that import no database library.
DATABASE_LIBRARIES = frozenset({"sqlalchemy", "alembic", "psycopg"})
NO_DATABASE: frozenset[str] = frozenset(
    {
        "hotline.urls",
        "hotline.synth",
        "hotline.accounts.roles",
        "hotline.intake.readers",
        "hotline.intake.records",
        "hotline.intake.batches",
        "hotline.intake.staging",
        "hotline.intake.gc_tuning",
        "hotline.captures.page",
        "hotline.captures.warc_reader",
        "hotline.captures.http",
        "hotline.captures.pages",
        "hotline.captures.page_class",
        "hotline.captures.extractors",
        "hotline.captures.media",
        "hotline.captures.neardup",
        "hotline.captures.bitcoin",
        "hotline.captures.altcoins",
        "hotline.captures.client_redirects",
        "hotline.captures.recorders",
        "hotline.captures.revisits",
        "hotline.hosting.pdns",
        "hotline.hosting.current",
        "hotline.hosting.cdn",
        "hotline.hosting.ipdb",
        "hotline.hosting.resolve",
        "hotline.hosting.rdap",
        "hotline.hosting.rdap_bootstrap",
        "hotline.hosting.rdap_cache",
        "hotline.hosting.rdap_parse",
        "hotline.attribution.domain_words",
        "hotline.attribution.method",
        "hotline.attribution.page_names",
        "hotline.attribution.pieces",
        "hotline.attribution.table",
        "hotline.strategic.model",
        "hotline.strategic.html",
        "hotline.strategic.csvout",
        "hotline.strategic.pdf",
        "hotline.strategic.terminal",
        "hotline.strategic.files",
        "hotline.sharing.formats",
        "hotline.casework.schemes",
        "hotline.casework.rules",
        "hotline.casework.routing",
        "hotline.casework.timing",
        "hotline.casework.states",
        "hotline.casework.notices",
        "hotline.casework.smtp",
    }
)


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    is_package: bool


@dataclass(frozen=True)
class Import:
    target: str
    line: int


@dataclass(frozen=True)
class Violation:
    importer: str
    imported: str
    line: int
    rule: str

    def __str__(self) -> str:
        return f"{self.importer} (line {self.line}) imports {self.imported}: {self.rule}"


def source_modules(src: Path = SRC) -> list[Module]:
    modules = []
    for path in sorted((src / ROOT_MODULE).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        modules.append(Module(".".join(parts), path, is_package))
    return modules


def covers(entry: str, name: str) -> bool:
    """Does a table entry (a package, a module, or the root module alone) include ``name``?"""
    if entry in (ANY, name):
        return True
    return entry != ROOT_MODULE and name.startswith(entry + ".")


def package_of(module: str) -> str:
    """The unit the rules speak of: ``hotline.captures`` for ``hotline.captures.pages``."""
    return ".".join(module.split(".")[:2])


def _relative_base(module: str, is_package: bool, level: int, name: str | None) -> str:
    parts = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    return ".".join([*parts, name] if name else parts)


def _literal_import(node: ast.Call) -> str | None:
    """``importlib.import_module("x")``, ``import_module("x")`` or ``__import__("x")``."""
    function = node.func
    name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
    if name not in {"import_module", "__import__"} or not node.args:
        return None
    first = node.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    return None


def imports_of(
    module: str, source: str, is_package: bool, known: Iterable[str] = ()
) -> Iterator[Import]:
    """Every module ``source`` imports, at any depth of the tree, as absolute names.

    ``from a import b`` yields ``a.b`` when that is a known module, else ``a``.
    """
    known = frozenset(known)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _relative_base(module, is_package, node.level, node.module)
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield Import(candidate if candidate in known else base, node.lineno)
        elif isinstance(node, ast.Call) and (target := _literal_import(node)):
            yield Import(target, node.lineno)


def _names(entries: Iterable[str]) -> str:
    return ", ".join(sorted(entries))


def _package_rule(package: str, allowed: frozenset[str]) -> str:
    if not allowed:
        return f"{package} imports nothing from the other hotline packages"
    return f"{package} may import only {_names(allowed)} (and itself)"


def check_module(
    module: str, source: str, is_package: bool = False, known: Iterable[str] = ()
) -> list[Violation]:
    """Every import in ``source`` (the text of ``module``) that breaks a rule, with the rule."""
    package = package_of(module)
    allowed = ALLOWED.get(package)
    pure = any(covers(prefix, module) for prefix in NO_DATABASE)
    violations = []
    for found in imports_of(module, source, is_package, known):
        target = found.target
        top = target.split(".")[0]
        if top == ROOT_MODULE:
            if allowed is None:
                rule = f"package {package} is not in the table of docs/architecture.md"
            elif (
                covers(package, target)
                or target == ROOT_MODULE
                or any(covers(entry, target) for entry in allowed)
                or any(covers(entry, target) for entry in EXCEPTIONS.get(module, ()))
            ):
                continue
            else:
                rule = _package_rule(package, allowed)
            violations.append(Violation(module, target, found.line, rule))
            continue
        owners = LIBRARIES.get(top)
        if owners is not None and not any(covers(owner, module) for owner in owners):
            rule = f"{top} belongs to {_names(owners)} and may be imported only there"
            violations.append(Violation(module, target, found.line, rule))
        if pure and top in DATABASE_LIBRARIES:
            rule = f"{module} is a pure core and imports no database library"
            violations.append(Violation(module, target, found.line, rule))
    return violations


def _all_violations() -> list[Violation]:
    modules = source_modules()
    known = {module.name for module in modules}
    violations = []
    for module in modules:
        source = module.path.read_text(encoding="utf-8")
        violations += check_module(module.name, source, module.is_package, known)
        violations += front_end_violations(module.name, source)
    return violations


def test_every_import_follows_the_rules() -> None:
    violations = _all_violations()
    assert not violations, (
        "imports that break the rules in docs/architecture.md ('Who may import what'); "
        "remove the import, or change the rule in the document and in this test:\n"
        + "\n".join(f"  {violation}" for violation in violations)
    )


def test_every_package_is_in_the_table() -> None:
    packages = {package_of(module.name) for module in source_modules()}
    assert packages == set(ALLOWED), (
        f"packages without a rule: {sorted(packages - set(ALLOWED))}; "
        f"rules for packages that do not exist: {sorted(set(ALLOWED) - packages)}"
    )


def test_every_table_entry_names_a_real_module() -> None:
    known = {module.name for module in source_modules()}
    named = {entry for entries in ALLOWED.values() for entry in entries} - {ANY}
    named |= set(EXCEPTIONS) | {entry for entries in EXCEPTIONS.values() for entry in entries}
    named |= NO_DATABASE | {owner for owners in LIBRARIES.values() for owner in owners}
    assert not named - known, f"no such module or package: {sorted(named - known)}"


def test_every_known_exception_is_still_used() -> None:
    """An exception the code no longer needs is removed from the document and the table."""
    modules = {module.name: module for module in source_modules()}
    for name, targets in EXCEPTIONS.items():
        module = modules[name]
        source = module.path.read_text(encoding="utf-8")
        imported = {found.target for found in imports_of(name, source, module.is_package, modules)}
        unused = {target for target in targets if not any(covers(target, i) for i in imported)}
        assert not unused, f"{name} no longer imports {sorted(unused)}: drop the exception"


# --- the document says the same ---------------------------------------------------------


def _rules_section() -> str:
    text = DOC.read_text(encoding="utf-8")
    assert RULES_SECTION in text, f"{DOC.name} has no section '{RULES_SECTION}'"
    section = text.split(RULES_SECTION, 1)[1]
    return re.split(r"^## ", section, maxsplit=1, flags=re.MULTILINE)[0]


def _doc_tables() -> dict[str, list[list[str]]]:
    """The Markdown tables of the rules section, keyed by their second column's heading."""
    tables: dict[str, list[list[str]]] = {}
    rows: list[list[str]] = []
    for line in [*_rules_section().splitlines(), ""]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
            continue
        if len(rows) >= 2:
            tables[rows[0][1].lower()] = rows[2:]
        rows = []
    return tables


def _backticked(cell: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", cell))


def _doc_table(heading: str) -> list[list[str]]:
    """The table whose second column's heading starts with ``heading``."""
    tables = _doc_tables()
    found = [rows for name, rows in tables.items() if name.startswith(heading)]
    assert len(found) == 1, (
        f"{DOC.name}: want one table with a column '{heading}…' ({list(tables)})"
    )
    return found[0]


def test_doc_lists_the_same_allowed_imports() -> None:
    documented: dict[str, frozenset[str]] = {}
    for row in _doc_table("may import"):
        (package,) = _backticked(row[0])
        everything = row[1].lower().startswith("anything")
        documented[package] = frozenset({ANY}) if everything else frozenset(_backticked(row[1]))
    assert documented == ALLOWED, f"{DOC.name} and ALLOWED in this test differ"


def test_doc_lists_the_same_exceptions() -> None:
    documented = {}
    for row in _doc_table("also imports"):
        (module,) = _backticked(row[0])
        documented[module] = frozenset(_backticked(row[1]))
    assert documented == EXCEPTIONS, f"{DOC.name} and EXCEPTIONS in this test differ"


def test_doc_lists_the_same_library_owners() -> None:
    documented = {}
    for row in _doc_table("imported only in"):
        (library,) = _backticked(row[0])
        documented[library] = frozenset(_backticked(row[1]))
    assert documented == LIBRARIES, f"{DOC.name} and LIBRARIES in this test differ"


def test_doc_lists_the_same_pure_cores() -> None:
    documented = set()
    for row in _doc_table("modules that import no database library"):
        (package,) = _backticked(row[0])
        if row[1].strip().lower() == "all":
            documented.add(package)
        else:
            documented |= {f"{package}.{name}" for name in _backticked(row[1])}
    assert documented == NO_DATABASE, f"{DOC.name} and NO_DATABASE in this test differ"


def test_doc_lists_the_same_front_ends() -> None:
    documented = {next(iter(_backticked(row[0]))) for row in _doc_table("never imports")}
    assert documented == FRONT_ENDS, f"{DOC.name} and FRONT_ENDS in this test differ"


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy import select\n",
        "from sqlalchemy import Engine, update\n",
        "from hotline.attribution.models import Brand\n",
        "from hotline.store import models\n",
        "import hotline.captures.models\n",
        "def f() -> None:\n    from sqlalchemy.sql import text\n",
    ],
)
def test_the_front_end_contract_catches_tables_and_statements(source: str) -> None:
    assert front_end_violations("hotline.cli.label", source)
    assert not front_end_violations("hotline.attribution.services", source)


def test_the_front_end_contract_allows_types_and_errors() -> None:
    source = "from sqlalchemy import Engine\nfrom sqlalchemy.exc import SQLAlchemyError\n"
    assert not front_end_violations("hotline.cli.app", source)


def test_doc_describes_every_package() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [package for package in ALLOWED if f"`{package}`" not in text]
    assert not missing, f"{DOC.name} does not describe {missing}"


# --- the checker itself catches what it should ------------------------------------------

KNOWN = frozenset(
    {
        "hotline",
        "hotline.cli",
        "hotline.cli.app",
        "hotline.captures.page",
        "hotline.captures.models",
        "hotline.hosting.models",
        "hotline.hosting.enrich",
        "hotline.intake.models",
    }
)


@pytest.mark.parametrize(
    ("module", "source", "imported", "rule"),
    [
        pytest.param(
            "hotline.urls.canonical",
            "def f() -> None:\n    from hotline.cli.app import main\n",
            "hotline.cli.app",
            "hotline.urls imports nothing from the other hotline packages",
            id="function-local import of the CLI",
        ),
        pytest.param(
            "hotline.hosting.enrich",
            "from hotline import cli\n",
            "hotline.cli",
            "hotline.hosting may import only",
            id="from-import of a module",
        ),
        pytest.param(
            "hotline.captures.pages",
            "from ..hosting import models\n",
            "hotline.hosting.models",
            "hotline.captures may import only",
            id="relative import",
        ),
        pytest.param(
            "hotline.synth.world",
            "if TYPE_CHECKING:\n    import hotline.intake.models\n",
            "hotline.intake.models",
            "hotline.synth may import only",
            id="type-only import",
        ),
        pytest.param(
            "hotline.strategic.html",
            "import importlib\nimportlib.import_module('hotline.attribution.services')\n",
            "hotline.attribution.services",
            "hotline.strategic may import only",
            id="import by name",
        ),
        pytest.param(
            "hotline.attribution.links",
            "from hotline.hosting.enrich import Enricher\n",
            "hotline.hosting.enrich",
            "hotline.attribution may import only",
            id="services of an earlier stage",
        ),
        pytest.param(
            "hotline.store.engine",
            "import hotline.captures.models\n",
            "hotline.captures.models",
            "hotline.store imports nothing from the other",
            id="exception of one module is not the package's",
        ),
        pytest.param(
            "hotline.hosting.rdap",
            "import typer\n",
            "typer",
            "typer belongs to hotline.cli",
            id="framework outside its layer",
        ),
        pytest.param(
            "hotline.hosting.current",
            "from sqlalchemy import select\n",
            "sqlalchemy",
            "hotline.hosting.current is a pure core",
            id="database in a pure core",
        ),
        pytest.param(
            "hotline.newstage.thing",
            "from hotline.urls import canonicalize\n",
            "hotline.urls",
            "package hotline.newstage is not in the table",
            id="package without a rule",
        ),
    ],
)
def test_checker_flags(module: str, source: str, imported: str, rule: str) -> None:
    violations = check_module(module, source, known=KNOWN)
    assert [violation.imported for violation in violations] == [imported]
    message = str(violations[0])
    assert module in message
    assert imported in message
    assert rule in message


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("hotline.hosting.enrich", "from hotline.captures.models import Capture\n"),
        ("hotline.strategic.build", "from hotline.attribution.method import band\n"),
        ("hotline.captures.pages", "from . import model\nfrom .model import Selector\n"),
        ("hotline.synth.generate", "from hotline import __version__\n"),
        ("hotline.cli.demo", "def f() -> None:\n    from hotline.synth.generate import generate\n"),
        ("hotline.strategic.terminal", "from rich.table import Table\n"),
        ("hotline.hosting.enrich", "from sqlalchemy import select\n"),
    ],
)
def test_checker_accepts(module: str, source: str) -> None:
    assert check_module(module, source, known=KNOWN) == []


def test_relative_imports_resolve_from_packages_and_modules() -> None:
    in_package = imports_of("hotline.captures", "from .models import Capture\n", True)
    in_module = imports_of("hotline.captures.extractors.brand", "from ..page import P\n", False)
    assert [found.target for found in in_package] == ["hotline.captures.models"]
    assert [found.target for found in in_module] == ["hotline.captures.page"]
