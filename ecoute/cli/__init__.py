"""The ``ecoute`` command: one subcommand per job.

Each area of the code registers its own subcommands from ``ecoute/cli/<area>.py``
so that the command line follows the data flow and no one file grows with every job.
Heavy imports (models, the database) happen inside the commands, so ``--help`` is quick.
This is the one package where function-local imports of ``ecoute`` modules are allowed,
and only for that reason (tests/test_architecture.py enforces it everywhere else).
"""

from __future__ import annotations

import sys
from importlib import import_module

import typer

from ecoute.errors import EcouteError

app = typer.Typer(
    name="ecoute",
    help="écoute — a voice assistant whose improvement loop is private by construction.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: The command modules, in the order of the data flow.
COMMAND_MODULES = (
    "speech",  # transcribe, ask, device
    "platform",  # serve, demo, audit
    "review_prep",  # redact-text, prepare-review
    "review",  # review pipeline jobs
    "rights",  # export, verify-export, erase
    "improve",  # datasets, eval, improvement rounds
)



@app.callback()
def _start() -> None:
    """Runs before any command (not for ``--help``): register the hooks deletion and erasure need."""
    from ecoute.services.wiring import wire_hooks  # local: keeps ``ecoute --help`` fast

    wire_hooks()


for _name in COMMAND_MODULES:
    import_module(f"ecoute.cli.{_name}").register(app)


def main() -> None:
    """Entry point: turn user-facing errors into a message on stderr and an exit code.

    Click runs without its standalone mode so that our own errors (``EcouteError``) keep
    their exit codes; the usage errors click would otherwise print itself are shown here.
    """
    try:
        code = app(standalone_mode=False)
        # without standalone mode, click returns a command's exit code instead of exiting
        if isinstance(code, int) and code:
            sys.exit(code)
    except EcouteError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(err.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except typer.Exit as ex:
        sys.exit(ex.exit_code)
    except typer.TyperException as err:
        # Usage errors (unknown option, missing argument, bad value: exit 2) and the like.
        # Typer vendors click since 0.26, so ``click.ClickException`` is not what it raises;
        # ``typer.TyperException`` (0.27.2) is the public base class of everything it does raise.
        _show(err)
        sys.exit(err.exit_code)


def _show(err: typer.TyperException) -> None:
    """Print a typer error as click would: the usage and a hint for usage errors, else the message."""
    show = getattr(err, "show", None)  # every error typer raises has it; the base class does not
    if callable(show):
        show()
    else:
        typer.echo(f"Error: {err.format_message()}", err=True)

if __name__ == "__main__":
    main()
