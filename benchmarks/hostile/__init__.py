"""The case groups of the hostile reliability suite, ``benchmarks/reliability.py`` (the entry point:
arguments, running the groups, the table and JSON output). ``config`` holds the settings chosen at
start-up, ``harness`` running the CLI and classifying, ``data`` the data makers, and ``inputs``,
``project_files``, ``kills`` and ``concurrency`` the groups; ``api_helpers`` is the subprocess side of
the Python-API steps.
"""
