"""`python -m bastion.cli`: the same as the `bastion` command."""

from bastion.cli import app

app()
