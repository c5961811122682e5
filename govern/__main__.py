"""`python -m govern` and the `govern` command: start reading the inventory the command
will load (`govern.readahead`), then import and run the command-line interface."""

import sys

from govern import readahead


def run() -> None:
    readahead.start(sys.argv[1:])
    from govern.cli.main import main

    main()


if __name__ == "__main__":
    run()
