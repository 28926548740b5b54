"""``python -m tinygrad_edu train ...``: the same as the ``tinygrad-edu`` command."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
