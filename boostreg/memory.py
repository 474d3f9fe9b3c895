"""Memory a worker gives back to the system between tasks: Arrow's pool and, on glibc, malloc's free lists."""

from __future__ import annotations


def release_memory() -> None:
    """Give the memory freed by a task back to the system (Arrow's pool and, on glibc, malloc's free lists), so that
    a worker's next fit peaks from its working set, not from what earlier fits left behind."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _glibc():
    import ctypes
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


_LIBC = _glibc()
