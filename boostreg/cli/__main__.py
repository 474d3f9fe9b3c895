"""``python -m boostreg.cli``: the ``boostreg`` command."""

from . import main

main()
