"""The ``ipsreport`` command.

Errors a user can cause (:class:`~ipsreport.errors.IpsreportError`) become a
one-line message on stderr and the error's exit status; never a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from ipsreport import __version__
from ipsreport.errors import IpsreportError


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except IpsreportError as error:
            for line in str(error).splitlines():
                click.echo(f"ipsreport: {line}", err=True)
            sys.exit(error.exit_status)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="ipsreport")
def main() -> None:
    """Recompute the IPS findings from their sources and render Danish briefs."""


def _register() -> None:
    from ipsreport._cli_check import check_command
    from ipsreport._cli_som import som_command
    from ipsreport.render import render_command

    main.add_command(check_command)
    main.add_command(som_command)
    main.add_command(render_command)
    main.add_command(__import__("ipsreport.batch", fromlist=["_"]).batch_command)
    main.add_command(__import__("ipsreport._cli_verify", fromlist=["_"]).verify_command)


_register()
