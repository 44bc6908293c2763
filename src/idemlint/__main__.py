"""`python -m idemlint`: the same command as `idemlint`."""

from .cli import main

main(prog_name="idemlint")
