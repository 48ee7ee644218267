"""The commands that set up a ledger or the files around it: ``template``, ``rubric``
(show, list, check), ``init-db``, ``copy`` and ``demo`` (registered by :mod:`ledger.cli`).
"""

from __future__ import annotations

import click

from ledger.clitools import current_lang
from ledger.errors import LedgerError
from ledger.text.escape import escaped


def _say(text: str) -> None:
    click.echo(escaped(text, keep="\n"))


@click.command()
@click.option("--format", "fmt", required=True, type=click.Choice(["csv", "xlsx", "jsonl"]))
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False),
              help="The file to write (default: import-template.FORMAT).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh",
              help="Column headers in Chinese (default) or as the field names.")
def template(fmt, output, lang):
    """Write an import template: headers and one example row per record type."""
    from ledger.importing.template import write_template
    click.echo(str(write_template(output or f"import-template.{fmt}", fmt, lang)))


@click.group()
def rubric():
    """Show or check rubric files."""


@rubric.command("show")
@click.argument("rubric_ref")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
def rubric_show(rubric_ref, lang):
    """Print a rubric (bundled id or file) as a readable tree."""
    from ledger.rubric import resolve_rubric
    from ledger.text.rubric import render_tree
    _say(render_tree(resolve_rubric(rubric_ref), lang=lang))


@rubric.command("list")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
def rubric_list(lang):
    """The bundled rubric editions (ids usable in `adopt` records and --rubric)."""
    from ledger.rubric.loader import bundled_rubrics
    from ledger.text.receipts import render_list
    click.echo(render_list(sorted(bundled_rubrics()), "rubrics", lang))


@rubric.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
def rubric_check(file):
    """Validate a rubric file; errors name the file, the node and the key."""
    from ledger.rubric import load_rubric
    from ledger.text.rubric import check_summary
    _say(check_summary(load_rubric(file), current_lang()))


@click.command("init-db")
@click.argument("url")
@click.option("--role", default="ledger_app", show_default=True,
              help="The application role to create: SELECT and INSERT only.")
@click.option("--password-env", default=None, metavar="VAR",
              help="Set the role's password from this environment variable.")
def init_db_cmd(url, role, password_env):
    """Create the ledger schema in a PostgreSQL database (URL of its owner) and the role."""
    import os

    from ledger.store.backends import init_db
    from ledger.store.postgres import redact

    password = None
    if password_env is not None:
        password = os.environ.get(password_env)
        if not password:
            raise LedgerError(f"--password-env {password_env}: that environment variable is "
                              f"not set or empty")
    init_db(url, role, password)
    click.echo(f"ok: ledger schema in {redact(url)}; role {role} may only read and append "
               f"(see docs/deployment.md)")


@click.command("copy")
@click.argument("source")
@click.argument("target")
def copy_cmd(source, target):
    """Copy a ledger between backends (SQLite file or postgresql:// URL), same chain."""
    import os

    from ledger.store.backends import copy_ledger
    from ledger.store.postgres import is_postgres_url, redact

    if not is_postgres_url(source) and not os.path.isfile(source):
        raise LedgerError(f"no ledger at {source}")
    head = copy_ledger(source, target)
    where = redact(target) if is_postgres_url(target) else target
    click.echo(f"ok: {where} now holds {head.seq if head else 0} events, chain verified; "
               f"head {head if head else '(empty)'}")


@click.command()
@click.option("--town", default="沙溪镇", help="The town whose traced card is printed.")
@click.pass_context
def demo(ctx, town):
    """Build the example 2017 ledger (./demo.db by default) and print its scoreboard."""
    from ledger.demo import run_demo
    from ledger.store.postgres import is_postgres_url
    if is_postgres_url(ctx.obj["db"]):
        raise LedgerError("demo builds a SQLite file; for PostgreSQL build it, then copy it: "
                          "python -m ledger demo && python -m ledger copy demo.db URL")
    _say(run_demo(ctx.obj["db"] or "demo.db", town, current_lang()))


COMMANDS = [template, rubric, init_db_cmd, copy_cmd, demo]
