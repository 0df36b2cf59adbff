"""Process-tree helpers on Linux ``/proc``; standard library only.

Both the forked child (a child subreaper, so orphaned daemons are reparented to it) and the
zygote use these to make sure no process outlives its node.
"""

from __future__ import annotations

import ctypes
import os
import signal
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent() -> bool:
    """Ask the kernel to SIGKILL this process when its parent dies."""
    return _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def become_subreaper() -> bool:
    """Orphaned descendants get reparented to this process instead of to init."""
    return _prctl(PR_SET_CHILD_SUBREAPER, 1)


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (all its threads), zombies included."""
    found: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as handle:
                found.extend(int(p) for p in handle.read().split())
        except (OSError, ValueError):
            pass
    return found


def descendants(pid: int) -> list[int]:
    """Every descendant of ``pid``, parents before their children."""
    seen: list[int] = []
    queue = children(pid)
    while queue:
        current = queue.pop(0)
        if current in seen:
            continue
        seen.append(current)
        queue.extend(children(current))
    return seen


def kill(pids, sig: int = signal.SIGKILL) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def kill_tree(root: int, include_root: bool = True) -> None:
    """Stop, then SIGKILL ``root``'s whole tree (stopping first keeps it from forking more)."""
    for _ in range(5):
        tree = descendants(root)
        if include_root:
            tree.insert(0, root)
        if not tree:
            return
        kill(tree, signal.SIGSTOP)
        if descendants(root) == tree[1 if include_root else 0 :]:
            break
    kill(tree, signal.SIGKILL)
    try:
        os.killpg(root, signal.SIGKILL)  # anything still in its session's group
    except (ProcessLookupError, PermissionError):
        pass


def kill_and_reap_descendants(deadline_s: float = 10.0) -> int:
    """In a subreaper: SIGKILL every descendant and reap them all; returns how many were killed."""
    me = os.getpid()
    killed: set[int] = set()
    end = time.monotonic() + deadline_s
    while True:
        tree = descendants(me)
        live = [p for p in tree if not _is_zombie(p)]
        if live:
            kill(live, signal.SIGSTOP)
            kill(live, signal.SIGKILL)
            killed.update(live)
        _reap_any()
        if not tree or time.monotonic() > end:
            return len(killed)
        if not live:
            time.sleep(0.005)


def _reap_any() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True
