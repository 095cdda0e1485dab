"""The ``ipsreport`` command.

Errors a user can cause (:class:`~ipsreport.errors.IpsreportError`) become a
one-line message on stderr and the error's exit status; never a traceback.
Subcommands are imported only when called (click's lazy-loading pattern), so
``ipsreport batch`` does not pay for scipy and ``ipsreport verify`` not for Jupyter.

``ipsreport batch`` starts its kernel fork server (:mod:`ipsreport.kernels.forkserver`)
before its module is even imported: the server's imports then run on the other core while
this process imports the renderer and plans the batch.

At exit, Python would walk every object the command imported once more, looking for
garbage; the objects are frozen instead (``gc.freeze``), and the operating system frees
the memory.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import sys
from typing import Any

import click

from ipsreport import __version__
from ipsreport.cli._options import FORK_SERVER_KEY
from ipsreport.errors import IpsreportError, shown
from ipsreport.kernels.forkserver import ForkServer

# Registered before any command's module is imported, so it runs after their exit handlers
# (atexit runs the last registered first), just before Python's final collection, which
# then has nothing left to walk.
atexit.register(gc.freeze)

# name -> "module:attribute" of the click command
_COMMANDS = {
    "batch": "ipsreport.cli.batch:batch_command",
    "check": "ipsreport.cli.check:check_command",
    "distribute": "ipsreport.cli.distribute:distribute_command",
    "render": "ipsreport.cli.render:render_command",
    "som": "ipsreport.cli.som:som_command",
    "trace": "ipsreport.cli.trace:trace_command",
    "verify": "ipsreport.cli.verify:verify_command",
}


class _Group(click.Group):
    def list_commands(self, _ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, _ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if (args and args[0] == "batch" and not {"--help", "-h"} & set(args)
                and ForkServer.supported()):
            try:
                server = ForkServer.start()
            except OSError:
                pass  # no room for its socket, say: kernels start the usual way
            else:
                ctx.call_on_close(server.close)
                ctx.meta[FORK_SERVER_KEY] = server
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except IpsreportError as error:
            for line in str(error).splitlines():
                click.echo(f"ipsreport: {line}", err=True)
            sys.exit(error.exit_status)
        except click.UsageError as error:
            # A command's own option or argument that click refuses: one line, as ours.
            click.echo(f"ipsreport: {shown(error.format_message(), 300, quote=False)}", err=True)
            sys.exit(error.exit_code)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="ipsreport")
def main() -> None:
    """Recompute the IPS findings from their sources and render Danish briefs."""
