"""The ``secrets`` command line: a thin dispatcher over plugin command groups."""
