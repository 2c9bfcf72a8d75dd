"""``.. cli-reference:: module:function`` documents a typer app from the app itself.

``function`` returns the ``typer.Typer`` that the console script runs; the
directive walks the click command tree that typer builds from it and writes,
for every command and group, its usage line, its help and its parameters.
Nothing is copied by hand, so the reference cannot drift from ``--help``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import typer
from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def _paragraphs(text: str) -> list[nodes.Node]:
    blocks = [block.strip() for block in text.split("\n\n") if block.strip()]
    return [nodes.paragraph(text=" ".join(block.split())) for block in blocks]


def _parameter_rows(command: Any, ctx: Any) -> list[tuple[str, str]]:
    rows = []
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False) or param.name == "help":
            continue
        if param.param_type_name == "argument":
            rows.append((param.name.upper(), getattr(param, "help", None) or "argument"))
            continue
        record = param.get_help_record(ctx)
        if record is not None:
            rows.append((record[0], record[1]))
    return rows


def _command_nodes(command: Any, ctx: Any, prog: str) -> list[nodes.Node]:
    anchor = nodes.make_id(f"cli-{prog}")
    out: list[nodes.Node] = [nodes.rubric(text=prog, ids=[anchor])]
    usage = " ".join([prog, *command.collect_usage_pieces(ctx)])
    out.append(nodes.literal_block(usage, usage))
    out += _paragraphs(command.help or "")
    rows = _parameter_rows(command, ctx)
    if rows:
        listing = nodes.definition_list()
        for names, text in rows:
            item = nodes.definition_list_item()
            item += nodes.term("", "", nodes.literal(text=names))
            item += nodes.definition("", *(_paragraphs(text) or [nodes.paragraph()]))
            listing += item
        out.append(listing)
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            sub_ctx = sub.context_class(sub, info_name=name, parent=ctx)
            out += _command_nodes(sub, sub_ctx, f"{prog} {name}")
    return out


class CliReference(SphinxDirective):
    required_arguments = 1
    option_spec: dict[str, Any] = {"prog": directives.unchanged_required}  # noqa: RUF012

    def run(self) -> list[nodes.Node]:
        module_name, _, function = self.arguments[0].partition(":")
        app = getattr(importlib.import_module(module_name), function)()
        command = typer.main.get_command(app)
        prog = self.options.get("prog", module_name.split(".")[0])
        ctx = command.context_class(command, info_name=prog)
        return _command_nodes(command, ctx, prog)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("cli-reference", CliReference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
