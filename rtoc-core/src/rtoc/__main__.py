"""``python -m rtoc`` is the ``rtoc`` command."""

from rtoc.cli import main

main()
