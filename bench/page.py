"""The end every benchmark page shares: the command that made it and the Python it ran on."""

from __future__ import annotations

import platform


def footer(command: str) -> list[str]:
    """Lines closing a page: the command in a code block, then the Python and the machine."""
    return [
        "Command (from the repository root):",
        "",
        "```",
        command,
        "```",
        "",
        f"Python {platform.python_version()} on {platform.machine()} ({platform.system()}).",
    ]
