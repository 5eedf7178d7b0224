"""Errors raised for bad directory input (the tree is in `pulumi_workplace.errors`)."""

from __future__ import annotations

from pulumi_workplace.errors import MAX_LINES, InputError, format_problems

__all__ = ["MAX_LINES", "DirectoryError", "InputError", "format_problems"]


class DirectoryError(InputError):
    """A directory source (file or Microsoft Graph) cannot be read or is inconsistent."""
