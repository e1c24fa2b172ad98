"""The command line: click options, files, the clock; every use case runs in `jobs`."""
