"""Safe file I/O: atomic writes (a reader sees the old file or the new one, never half of
either) through symlinks, and bounded reads of regular files only."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from govern.errors import InputError, Problem

MiB = 1024 * 1024


def resolved(path: Path) -> Path:
    """`path` with every symlink followed (a missing file's directory is resolved too)."""
    return Path(os.path.realpath(path))


def read_regular(path: Path, *, limit: int, shown: str | None = None) -> bytes:
    """The bytes of the regular file at `path` (symlinks followed), at most `limit` of them.

    A FIFO, a device (`/dev/zero`), a socket or a directory is refused at once, never read
    (a FIFO would block, a device never end), and so is a file larger than `limit`: an
    `InputError` at `path:1:1`. OS errors (`FileNotFoundError`, ...) propagate."""
    name = shown or str(path)
    # O_NONBLOCK: opening a FIFO does not wait for a writer (ignored for regular files).
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError([Problem(name, 1, 1, "is a directory, not a file")])
        if not stat.S_ISREG(info.st_mode):
            kind = (
                "a FIFO"
                if stat.S_ISFIFO(info.st_mode)
                else "a device"
                if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                else "a socket or special file"
            )
            raise InputError(
                [Problem(name, 1, 1, f"not a regular file ({kind})", "give the path of a file")]
            )
        too_large = Problem(
            name, 1, 1, f"file is too large (over {limit // MiB} MiB)", "is this the right file?"
        )
        if info.st_size > limit:
            raise InputError([too_large])
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(MiB, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise InputError([too_large])
        return b"".join(chunks)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write `data` to `path` via a temp file in the same directory, fsync, rename. A
    symlink is written through: its target is replaced, the link stays (a store shared by
    symlink must not fork into a private copy). A device or a FIFO (`--output /dev/null`,
    a named pipe) is written to, never replaced: renaming over /dev/null would put a regular
    file in its place for everyone on the machine."""
    path = resolved(path)
    try:
        info = os.stat(path)
    except OSError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
        with open(path, "wb") as handle:
            handle.write(data)
        return
    directory = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            elif path.exists():
                os.fchmod(handle.fileno(), path.stat().st_mode & 0o7777)
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.fchmod(handle.fileno(), 0o666 & ~umask)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def atomic_write_text(path: Path, text: str, *, mode: int | None = None) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)
