"""`python -m idemlint`: the same command as `idemlint`."""

from .cli import run

run()
