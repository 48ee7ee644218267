"""The command line's plumbing, beside :mod:`ledger.cli`: opening ``--db``, echoing text,
tables and JSON, running a command with one ``error:`` line for any failure; the language of messages, the
`error:` line (in Chinese unless ``--lang en``, via :mod:`ledger.text.messages`), options every
command accepts (``--db``, ``--lang``), a warning for a future ``--known-at``, and a quiet
exit when the reader of stdout has gone (``| head``).
"""

from __future__ import annotations

import sys

import click

import ledger
from ledger.errors import LedgerError
from ledger.projections.card import dumps
from ledger.text.escape import escaped


_LANG: list[str] = []  # the running command line's language, set by ledger.cli.main


def set_lang(lang: str) -> str:
    _LANG[:] = [lang]
    return lang


def current_lang() -> str:
    return _LANG[0] if _LANG else lang_of(sys.argv[1:])


def say(zh: str, en: str) -> str:
    """A status line in the language of the command line's --lang (Chinese by default)."""
    return en if current_lang() == "en" else zh


def not_future(ctx, _param, value):
    """A --known-at in the future is warned about: the ledger at that moment does not
    exist yet, so a card computed for it cannot be reproduced later."""
    if value is None:
        return value
    from datetime import datetime, timezone
    from ledger.dates.timeparse import parse_known_at
    try:
        when = parse_known_at(value)
    except LedgerError:
        return value  # the command's own error says what is wrong
    if when > datetime.now(timezone.utc):
        from ledger.text.messages import translate
        lang = current_lang()
        click.echo("warning: " + translate(
            f"known_at {value} is in the future (a future state of the ledger cannot be "
            f"reproduced; give a moment up to now)", lang), err=True)
    return value


def set_db(ctx, _param, value):
    if value is not None:
        ctx.find_root().obj["db"] = value


def everywhere(group: click.Group) -> None:
    """``--db`` is also accepted after the subcommand (``score --db demo.db …``), and
    ``--lang`` on every command (it sets the language of the error line too)."""
    for cmd in group.commands.values():
        if isinstance(cmd, click.Group):
            everywhere(cmd)
            continue
        names = {p.name for p in cmd.params}
        if "db" not in names:
            cmd.params.append(click.Option(["--db"], type=click.Path(dir_okay=False),
                                           expose_value=False, callback=set_db,
                                           help="The ledger file (as before the command)."))
        if "lang" not in names:
            cmd.params.append(click.Option(["--lang"], type=click.Choice(["zh", "en"]),
                                           default="zh", expose_value=False,
                                           help="Language of messages (zh or en)."))


def error(message: str, lang: str) -> None:
    """The one `error:` line, in the reader's language (ledger.text.messages)."""
    from ledger.text.messages import translate
    click.echo(f"error: {translate(one_line(message), lang)}", err=True)


def database_failure(exc: BaseException) -> str | None:
    """The error line's text for a database error that escaped the library (a server gone
    in the middle of a command, a role without a privilege), else None. Every write is
    one transaction, so the unfinished command left the ledger as it was.

    >>> import sqlite3
    >>> print(database_failure(sqlite3.OperationalError("disk I/O error")))
    the database broke off the command (disk I/O error): check the server, the --db location and the role's privileges, then run it again; nothing was written
    >>> database_failure(ValueError("x")) is None
    True
    """
    import sqlite3
    kinds: tuple[type[BaseException], ...] = (sqlite3.Error,)
    psycopg = sys.modules.get("psycopg")  # imported only by a PostgreSQL ledger
    if psycopg is not None:
        kinds += (psycopg.Error,)
    if not isinstance(exc, kinds):
        return None
    detail = " ".join(str(exc).split()) or type(exc).__name__  # psycopg's DETAIL on one line
    return (f"the database broke off the command ({detail}): check the server, the --db "
            f"location and the role's privileges, then run it again; nothing was written")


def lang_of(args: list[str]) -> str:
    """``--lang en`` anywhere on the line (or LEDGER_LANG=en) makes errors English."""
    import os
    for i, a in enumerate(args):
        if a == "--lang" and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--lang="):
            return a.split("=", 1)[1]
    return os.environ.get("LEDGER_LANG", "zh")


def quiet_stdout() -> None:
    import os
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def one_line(message: str) -> str:
    """One line, whatever the message holds: newlines and other controls escaped (``\\n``),
    so a name or note in a message can neither forge a line nor move the cursor."""
    from ledger.text.escape import escaped
    return escaped(message)


def open_ledger(ctx, create: bool = False) -> "ledger.Ledger":
    """The ledger of ``--db``; only writing commands may create it (a typo must not)."""
    path = ctx.obj["db"]
    if path is None:
        raise click.UsageError("--db PATH is required for this command")
    lg = ledger.open(path, create=create)
    for note in lg.notes + ([lg.read_model_problem] if lg.read_model_problem else []):
        echo_text(f"note: {note}", err=True)
    return lg


def echo_text(text: str, err: bool = False) -> None:
    """Human-facing text: every control/format character escaped (the layout's newlines kept)."""
    click.echo(escaped(text, keep="\n"), err=err)


def registered_town(lg: "ledger.Ledger", town: str | None) -> str | None:
    """A town as registered: 沙溪鎮 (traditional) finds 沙溪镇 when that is unambiguous."""
    return None if town is None else lg.resolve_town(town)


def echo_json(data) -> None:
    click.echo(dumps(data, indent=2))


def echo_table(text: str) -> None:
    """Tables with a little colour; click drops the colour when stdout is not a terminal."""
    for i, line in enumerate(escaped(text, keep="\n").split("\n")):
        if i == 0:
            line = click.style(line, bold=True)
        elif "不合格" in line or " fail" in line or "一票否决:" in line or "veto:" in line:
            line = click.style(line, fg="red")
        click.echo(line)


def run(cli: click.Group, argv: list[str]) -> int:
    """Run ``cli`` on ``argv``: every failure one ``error:`` line (exit 1; 2 for usage),
    never a traceback; a closed stdout (``| head``) is not an error."""
    args = list(argv)
    lang = set_lang(lang_of(args))
    if not args:  # bare `python -m ledger`: the help, not an error
        args = ["--help"]
    try:
        cli.main(args=args, prog_name="python -m ledger", standalone_mode=False)
        sys.stdout.flush()
        return 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        error("aborted", lang)
        return 1
    except click.UsageError as exc:
        error(f"{exc.format_message()} (see --help)", lang)
        return 2
    except click.ClickException as exc:
        error(exc.format_message(), lang)
        return 1
    except LedgerError as exc:
        error(str(exc), lang)
        return 1
    except BrokenPipeError:
        # `score ... | head -2`: the reader has what it wanted; not an error
        quiet_stdout()
        return 0
    except SystemExit:
        # click meets a closed pipe (EPIPE) by swapping sys.stdout and exiting 1
        # (click 8.4 calls the wrapper PacifyFlushWrapper, 8.5 _PacifyFlushWrapper)
        if type(sys.stdout).__name__.lstrip("_") in ("PacifyFlushWrapper", "PacketizingFile"):
            quiet_stdout()
            return 0
        raise
    except KeyboardInterrupt:
        error("interrupted; nothing was written by the unfinished command", lang)
        return 130
    except Exception as exc:
        # a psycopg (or sqlite3) error the library did not word: one line, never a traceback
        failure = database_failure(exc)
        if failure is None:
            raise
        error(failure, lang)
        return 1
