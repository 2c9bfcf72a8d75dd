"""The `tokenring` (= `secrets ring`) command line: typer groups and secret input."""
