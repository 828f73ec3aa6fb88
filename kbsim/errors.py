"""Errors a user can cause: the CLI prints one line and exits 2, never a traceback."""


class InputError(Exception):
    """Bad input (a path, a model, an option value); the message names what is wrong."""
