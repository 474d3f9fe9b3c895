"""Where boostreg may write: one rule for every writer (``report``, ``guide``, ``export``, ``run --out``), and the
lock that keeps one run per output folder.

* A run folder is a folder with ``study.json`` or ``fits/``. Its **data** (``fits/``, ``curves/``, ``leaves/``,
  ``quarantine/``, ``study.json``) is written by ``boostreg run`` alone: no other writer may put a file there or
  replace one (a report renamed over a segment, an export beside another study's records).
* A file is replaced (atomically: a temporary file beside it, renamed over it) only where the target is a regular
  file or nothing: never a folder, a device (``/dev/full``), a fifo or a socket.
* ``run --out`` may be a run folder (it resumes), never a folder inside another run's folder.
* ``OUT/.lock`` is held (``fcntl.flock``) while a run writes into OUT, so a second run there stops at once; the
  kernel releases it when the process ends, ``kill -9`` included.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import BoostregError

#: what ``boostreg run`` alone writes in a run folder
RUN_DATA = ("fits", "curves", "leaves", "quarantine", "study.json")
#: the rest of a run folder's own entries: the study as run, the log of runs, the update-dynamics table, the report
RUN_FILES = ("study.toml", "runs.json", "dynamics.parquet", "report.html")
#: where ``run --force`` keeps an earlier study's records (OUT/previous/<fingerprint>/)
PREVIOUS = "previous"
LOCK_NAME = ".lock"


def is_run_folder(folder: Path) -> bool:
    """A boostreg run folder: one with study.json or fits/."""
    return (folder / "study.json").is_file() or (folder / "fits").is_dir()


def _resolved(path: Path) -> Path:
    return Path(path).resolve()


def _candidates(path: Path) -> tuple[Path, Path]:
    """The path as written (absolute, '..' folded) and as the file system resolves it (links followed)."""
    return Path(os.path.abspath(path)), _resolved(path)


def _display(folder: Path) -> str:
    """A folder as the user would write it: relative to the working folder when inside it."""
    rel = os.path.relpath(folder)
    return str(folder) if rel == ".." or rel.startswith(".." + os.sep) else rel


def _in_run_data(path: Path) -> tuple[Path, str] | None:
    """(run folder, data entry) when ``path`` is or lies inside a run folder's data, else None."""
    for entry in (path, *path.parents):
        if entry.name in RUN_DATA and is_run_folder(entry.parent):
            return entry.parent, entry.name
    return None


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISFIFO, "a fifo"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _refuse_run_data(shown: Path, option: str) -> None:
    hit = next(filter(None, map(_in_run_data, _candidates(shown))), None)
    if hit:
        folder, entry = hit
        where = "the study.json" if entry == "study.json" else f"in the {entry}/ folder"
        raise BoostregError(
            f"'{shown}' is {where} of the run folder '{_display(folder)}', which only 'boostreg run' writes (it "
            f"would replace or mix with that run's records); choose {option} outside its fits/, "
            "curves/, leaves/, quarantine/ and study.json."
        )


def check_target(path: str | Path, what: str = "the file", option: str = "another path") -> Path:
    """Refuse (one-line BoostregError) a file target that a writer must not replace: inside a run folder's data,
    an existing folder, device, fifo or socket, in a folder that is missing or cannot be written. Writes nothing."""
    path = Path(path)
    _refuse_run_data(path, option)
    if os.path.lexists(path):
        try:
            mode = os.stat(path).st_mode
        except OSError:  # a dangling link: replacing it replaces the link, nothing else
            mode = stat.S_IFREG
        if not stat.S_ISREG(mode):
            raise BoostregError(
                f"'{path}' exists and is {_kind(mode)}; {what} replaces only a regular file: choose {option}."
            )
    parent = path.parent
    if not parent.is_dir():
        raise BoostregError(f"folder '{parent}' for {what} does not exist; create it or choose {option}.")
    why = unwritable(parent)
    if why:
        raise BoostregError(f"folder '{parent}' for {what} cannot be written ({why}); choose {option}.")
    return path


def check_out_folder(out: str | Path) -> None:
    """Refuse a run's --out that is not a folder, lies in a run folder's data, or is nested in another run's
    folder (a run folder itself is fine: the run resumes). Writes nothing."""
    out = Path(out)
    if os.path.lexists(out) and not out.is_dir():
        raise BoostregError(f"output path '{out}' is a file, not a folder; choose another --out.")
    _refuse_run_data(out, "an --out")
    for full in _candidates(out):
        for parent in full.parents:
            if is_run_folder(parent):
                raise BoostregError(
                    f"output folder '{out}' is inside the run folder '{_display(parent)}'; a run folder "
                    "holds one run: choose an --out outside it."
                )


def unwritable(folder: Path) -> str | None:
    """Why a file cannot be created in ``folder``, or None when it can: really creates and removes one (as root,
    os.access says yes where the file system says no)."""
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".boostreg-probe-")
        os.close(fd)
        os.unlink(name)
    except OSError as err:
        return str(err.strerror or err)
    return None


def write_atomic(
    path: str | Path, data, what: str = "the file", option: str = "another path", *, one_line: bool = True
) -> Path:
    """Write ``data`` to a hidden temporary file beside ``path``, then rename it over ``path`` (a regular file or
    nothing: call :func:`check_target` first); return ``path``.

    ``data``: text (UTF-8), bytes, or a function that writes the file at the path it is given (e.g.
    ``lambda tmp: pyarrow.parquet.write_table(table, tmp)``). The file is synced to disk before the rename. A
    failed or interrupted write removes the temporary file; a failed one (disk full) is one line naming ``what``
    and ``option``; with ``one_line=False`` the OSError itself is raised (a run's writes: the caller reports them).
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if callable(data):
            data(tmp)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
        else:
            with open(tmp, "wb") as fh:
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as err:  # a full disk, or Ctrl-C / SIGTERM mid-write: no half-written file is left
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        if not isinstance(err, OSError) or not one_line:
            raise
        raise BoostregError(
            f"writing {what} '{path}' failed ({err.strerror or err}); free space or choose {option}."
        ) from None
    return path


# ---------------------------------------------------------------------------------------------- one run per folder

#: output folders this process holds the lock of: resolved path -> file descriptor
_HELD: dict[str, int] = {}


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    return f"pid {text}" if text.isdigit() else "pid unknown"


def _busy(out: Path, holder: str) -> BoostregError:
    return BoostregError(
        f"another boostreg process ({holder}) is writing into '{out}'; wait for it to end (or stop "
        "it), then run again, or choose another --out."
    )


def check_unlocked(out: str | Path) -> None:
    """Refuse at once when another process holds OUT's lock; creates nothing."""
    import fcntl

    out = Path(out)
    if str(_resolved(out)) in _HELD:
        return
    try:
        fd = os.open(out / LOCK_NAME, os.O_RDONLY)
    except OSError:
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(out, _holder(fd)) from None
        except OSError:
            return
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def lock_out(out: str | Path) -> None:
    """Hold OUT/.lock for this process (creating OUT), or refuse in one line naming the process that holds it.
    Held again by this process: nothing to do. Released by :func:`unlock_out` or when the process ends."""
    import fcntl

    out = Path(out)
    key = str(_resolved(out))
    if key in _HELD:
        return
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise _busy(out, holder) from None
    except OSError:  # a file system without locks: run unlocked, as before
        os.close(fd)
        return
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    _HELD[key] = fd


def unlock_out(out: str | Path) -> None:
    """Release OUT/.lock if this process holds it (the file stays: removing it would race another run)."""
    fd = _HELD.pop(str(_resolved(Path(out))), None)
    if fd is not None:
        os.close(fd)  # closing the descriptor releases the flock
