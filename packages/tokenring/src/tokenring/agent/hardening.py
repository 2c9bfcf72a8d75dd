"""Keep the agent's memory, which holds unlocked vault keys, out of reach.

* ``RLIMIT_CORE`` 0: a crash writes no core file with the keys in it.
* ``PR_SET_DUMPABLE`` 0 (Linux): other processes of the same user can no
  longer attach with ptrace or read ``/proc/<pid>/mem``; the kernel also
  makes ``/proc/<pid>`` owned by root. ``root`` can still do both.
* ``PT_DENY_ATTACH`` (macOS): debuggers may no longer attach (untested here).

Each step is best effort: :func:`harden` reports what it applied.
"""

from __future__ import annotations

import sys

_PR_SET_DUMPABLE = 4
_PT_DENY_ATTACH = 31  # macOS <sys/ptrace.h>


def disable_core_dumps() -> bool:
    try:
        import resource
    except ImportError:  # Windows
        return False
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (OSError, ValueError):
        return False
    return True


def disable_ptrace() -> bool:
    import ctypes

    if sys.platform == "darwin":
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.ptrace(_PT_DENY_ATTACH, 0, None, 0) == 0)
    if sys.platform != "linux":
        return False
    # The running interpreter already links the C library: no search needed.
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) == 0)


def is_dumpable() -> bool | None:
    """The current ``PR_GET_DUMPABLE`` (Linux), for status and tests."""
    if sys.platform != "linux":
        return None
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_get_dumpable = 3
    return bool(libc.prctl(pr_get_dumpable, 0, 0, 0, 0))


def harden() -> list[str]:
    """Apply every protection the platform allows; names of those applied."""
    applied = []
    if disable_core_dumps():
        applied.append("no-core-dumps")
    if disable_ptrace():
        applied.append("no-ptrace")
    return applied
