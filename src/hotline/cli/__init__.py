"""The ``hotline`` command line: thin commands over the stage services."""
