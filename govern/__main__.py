"""`python -m govern` runs the command-line interface."""

from govern.cli.main import main

main()
