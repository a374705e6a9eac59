"""The `trust-signals` command (also `python -m trust_signals`), which runs the server's CLI.

Importing this module imports only the standard library: on a client-only install (no
`server` extra) the command says what to install instead of failing with a traceback.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run the CLI; exit with a one-line hint when the server's packages are not installed."""
    try:
        from trust_signals.cli import main as cli
    except ModuleNotFoundError as missing:
        if missing.name is None or missing.name.partition(".")[0] == "trust_signals":
            raise
        sys.exit(
            f"trust-signals: the command needs the server's packages ({missing.name} is not "
            "installed): pip install 'trust-signals[server]'"
        )
    cli()


if __name__ == "__main__":
    main()
