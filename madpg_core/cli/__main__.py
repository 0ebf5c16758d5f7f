import sys

from madpg_core.cli import main

sys.exit(main())
