"""``python -m tinygrad_edu train ...``: the same as the ``tinygrad-edu`` command.

The package's ``__init__`` guarded the start (``tinygrad_edu_launcher.guard_module_start``); once
the command is done, Python's own signal handling comes back, as the console script restores it.
"""
import sys

from .cli import main
from .training.signals import python_defaults

sys.excepthook = sys.__excepthook__  # the engine has loaded: errors from here on are not load errors

if __name__ == "__main__":
    status = main()
    python_defaults()
    sys.exit(status)
