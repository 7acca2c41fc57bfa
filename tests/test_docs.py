"""Every command, option, sources.yml setting and environment variable is documented where a reader looks.

The names are collected from the code itself (the click group, ``ailabor.config.SETTINGS`` and the
file, the source text of every ``os.environ`` read), so a new one without its documentation fails here.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import yaml

from ailabor.cli import cli
from ailabor.config import SETTINGS, SOURCES_FILE

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = README + "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").rglob("*.md")))
# Where the application reads its environment; tests and benches read variables of their own, never an operator's.
ENV_CODE = [*sorted((ROOT / "scrapers").rglob("*.py")), *sorted((ROOT / "ailabor").rglob("*.py")),
            *sorted((ROOT / "db").rglob("*.py")), ROOT / "scheduler.py"]


def _section(markdown: str, heading: str) -> str:
    start = markdown.index(f"\n{heading}\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start:end if end != -1 else None]


COMMANDS_SECTION = _section(README, "## Commands")


def _commands(command: click.Command, path: str) -> Iterator[tuple[str, click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _commands(sub, f"{path} {name}")


COMMANDS = list(_commands(cli, "ailabor"))


def _row(path: str) -> str | None:
    """The Commands table row whose first cell starts with the command (``ailabor watch BILL …``)."""
    for line in COMMANDS_SECTION.splitlines():
        cells = line.split("|")
        if line.startswith("|") and re.match(rf"\s*`{re.escape(path)}(?=[ `])", cells[1]):
            return line
    return None


@pytest.mark.parametrize(("path", "command"), COMMANDS[1:], ids=[path for path, _ in COMMANDS[1:]])
def test_every_command_has_a_row_in_the_readme_commands_table(path: str, command: click.Command) -> None:
    assert _row(path), f"`{path}` has no row in README.md's Commands table"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[path for path, _ in COMMANDS])
def test_every_command_and_option_has_help_text(path: str, command: click.Command) -> None:
    assert command.help, f"`{path}` has no docstring for --help"
    for option in command.params:
        if isinstance(option, click.Option):
            assert option.help, f"`{path} {option.opts[0]}` has no help text"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[path for path, _ in COMMANDS])
def test_every_option_is_in_its_commands_row_or_the_commands_notes(path: str, command: click.Command) -> None:
    # The row is where a reader looks; the prose under the table holds the options many commands share.
    notes = "\n".join(line for line in COMMANDS_SECTION.splitlines() if not line.startswith("|"))
    documented = (_row(path) or "") + notes
    for option in command.params:
        if isinstance(option, click.Option):
            for name in [*option.opts, *option.secondary_opts]:
                assert re.search(rf"{re.escape(name)}\b", documented), \
                    f"`{path} {name}` is neither in its row of README.md's Commands table nor in the notes below it"


def _comments(lines: list[str]) -> str:
    return "\n".join(line.split("#", 1)[1] for line in lines if "#" in line)


def _sources_sections() -> dict[str, tuple[list[str], dict[str, int]]]:
    """Each section of sources.yml: its lines, and the line of each of its top-level keys."""
    sections: dict[str, tuple[list[str], dict[str, int]]] = {}
    for line in SOURCES_FILE.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"([a-z_]+):\s*$", line):
            lines, keys = sections[match[1]] = ([], {})
        elif sections:
            lines.append(line)
            if key := re.match(r"  ([a-z_]+):", line):
                keys[key[1]] = len(lines) - 1
    return sections


SOURCES = _sources_sections()
SOURCE_KEYS = [(section, key) for section in SOURCES
               for key in sorted({*SOURCES[section][1], *SETTINGS.get(section, {})})]


def test_the_sections_found_are_the_files() -> None:
    # Guards the line reading above against a layout it does not understand.
    data = yaml.safe_load(SOURCES_FILE.read_text(encoding="utf-8"))
    assert {section: set(SOURCES[section][1]) for section in SOURCES} == \
        {section: set(settings) for section, settings in data.items()}


@pytest.mark.parametrize(("section", "key"), SOURCE_KEYS, ids=[f"{s}.{k}" for s, k in SOURCE_KEYS])
def test_every_sources_setting_is_explained_by_a_comment_in_sources_yml(section: str, key: str) -> None:
    # sources.yml is the documentation of record for its settings: it is the file a person edits, and
    # docs/sources/<source>.md points there. A setting is explained by the comment line right above it,
    # or by a comment of its section that names it (two settings under one comment; one the file leaves out).
    lines, keys = SOURCES[section]
    named = re.search(rf"\b{key}\b", _comments(lines))
    above = key in keys and keys[key] > 0 and lines[keys[key] - 1].lstrip().startswith("#")
    assert named or above, f"sources.yml: {section}: {key} has no comment above it and no comment names it"


def _is_environment(node: ast.expr) -> bool:
    """``os.environ``, or a mapping handed in as the environment (``env``)."""
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or \
        (isinstance(node, ast.Name) and node.id in {"env", "environ"})


def _env_reads(tree: ast.Module) -> Iterator[ast.expr]:
    """The expressions naming a variable that this code reads from the environment."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args and (
                node.func.attr == "getenv" or (node.func.attr == "get" and _is_environment(node.func.value))):
            yield node.args[0]
        if isinstance(node, ast.Call) and any(_is_environment(arg) for arg in node.args):
            # A helper handed the environment and a name, such as _env_flag(env, "SMTP_SSL", False).
            yield from (arg for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str))
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _is_environment(node.value):
            yield node.slice


def _string_constants(tree: ast.Module, key_envs: set[str]) -> dict[str, set[str]]:
    """Names bound to strings in a module: ``X = "A"``, ``X = ("A", "B")``, and loop variables over them."""
    bound: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            values = node.value.elts if isinstance(node.value, ast.Tuple | ast.List) else [node.value]
            if all(isinstance(v, ast.Constant) and isinstance(v.value, str) for v in values):
                bound[node.targets[0].id] = {v.value for v in values}  # type: ignore[attr-defined]
    for node in ast.walk(tree):
        if isinstance(node, ast.comprehension | ast.For) and isinstance(node.target, ast.Name) \
                and isinstance(node.iter, ast.Name) and node.iter.id in bound:
            bound[node.target.id] = bound[node.iter.id]
    bound["api_key_env"] = key_envs
    return bound


def _key_envs(trees: list[ast.Module]) -> set[str]:
    """Every spider's ``api_key_env``: the base spider reads the variable it names."""
    return {node.value.value for tree in trees for node in ast.walk(tree)
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            and any(isinstance(t, ast.Name) and t.id == "api_key_env" for t in node.targets)}


def _handed_names(tree: ast.Module) -> set[str]:
    """Parameters of helpers that take the environment and a name: their callers name the variable."""
    return {arg.arg for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
            for arg in node.args.args if any(a.arg in {"env", "environ"} for a in node.args.args)}


def environment_variables() -> tuple[set[str], list[str]]:
    """The variables the code reads, and the reads this cannot name (file:line)."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in ENV_CODE}
    key_envs = _key_envs(list(trees.values()))
    names: set[str] = set()
    unnamed: list[str] = []
    for path, tree in trees.items():
        bound = _string_constants(tree, key_envs)
        handed = _handed_names(tree)
        for expr in _env_reads(tree):
            if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
                names.add(expr.value)
            elif isinstance(expr, ast.Name) and expr.id in handed:
                continue
            elif isinstance(expr, ast.Name | ast.Attribute) and \
                    (found := bound.get(expr.id if isinstance(expr, ast.Name) else expr.attr)):
                names |= found
            else:
                unnamed.append(f"{path.relative_to(ROOT)}:{expr.lineno}")
    return names, unnamed


ENVIRONMENT, UNNAMED = environment_variables()


def test_every_environment_read_names_its_variable() -> None:
    # Otherwise a variable read through an expression this test cannot follow would escape the check below.
    assert not UNNAMED, f"environment reads whose variable this test cannot name: {UNNAMED}"


def test_the_environment_reads_found_include_the_known_ones() -> None:
    # Guards the source reading above: one variable of each way the code reads one.
    assert {"AILABOR_DB", "SMTP_SSL", "AILABOR_DIRECTOR_PASSWORD_HASH", "OPENSTATES_API_KEY"} <= ENVIRONMENT


@pytest.mark.parametrize("name", sorted(ENVIRONMENT))
def test_every_environment_variable_is_documented(name: str) -> None:
    assert re.search(rf"`[^`]*\b{name}\b[^`]*`", DOCS), f"{name} is read by the code but named in no README.md or docs/"
