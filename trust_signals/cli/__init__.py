"""The `trust-signals` command line (started by trust_signals/__main__.py): the root group,
with its error boundary, and the commands of each group of operator tasks.

generate.py writes snapshots, loading.py puts them into the store, snapshots.py manages the
loaded ones, configs.py the legal-approved config, sellers.py what sellers get (incentive
exports, signed page links); boundary.py turns failures into one line each, common.py holds
what they share.
"""

from __future__ import annotations

import click

from trust_signals import __version__
from trust_signals.cli.boundary import ErrorBoundary
from trust_signals.cli.configs import config
from trust_signals.cli.generate import generate
from trust_signals.cli.loading import demo, load, materialize
from trust_signals.cli.sellers import incentives, seller_link
from trust_signals.cli.snapshots import snapshots


@click.group(cls=ErrorBoundary, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="trust-signals", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Show a failure's traceback instead of one line.")
def main(debug: bool) -> None:
    """Trust signals from seller and offer performance snapshots.

    Snapshots and the legal-approved config are loaded into the store and activated there;
    every server worker on that store serves what it marks active.
    """


main.add_command(generate)
main.add_command(load)
main.add_command(demo)
main.add_command(materialize)
main.add_command(snapshots)
main.add_command(config)
main.add_command(incentives)
main.add_command(seller_link)
