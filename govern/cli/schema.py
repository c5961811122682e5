"""`govern schema`: print the JSON Schema of inventory.yaml (govern.inventory.schema)."""

from __future__ import annotations

import click

from govern.cli._common import emit
from govern.inventory.schema import schema_text


@click.command("schema")
@click.option(
    "--output",
    "-o",
    metavar="FILE",
    default=None,
    help="Write the schema to FILE (atomically) instead of standard output.",
)
def schema(output: str | None) -> None:
    """Print the JSON Schema of inventory.yaml, for editors and external checks.

    Start inventory.yaml with the line below and yaml-language-server (VS Code's YAML
    extension and others) completes keys, shows their documentation and flags mistakes:

    \b
      # yaml-language-server: $schema=schema/inventory.schema.json

    \b
    Examples:
      govern schema --output schema/inventory.schema.json
      govern schema | check-jsonschema --schemafile /dev/stdin inventory.yaml
    """
    emit(schema_text(), output)
