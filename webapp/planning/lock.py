"""One allocation per job centre at a time, across processes (R-3.3)."""

from __future__ import annotations

import fcntl
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from webapp.domain.errors import Conflict
from webapp.extensions import db

# First key of PostgreSQL's two-key advisory lock: "allocation of job centre <second key>".
ADVISORY_LOCK_NAMESPACE = 3_200_501


class AllocationRunning(Conflict):
    code = "allocation_running"


_local_locks: dict[tuple[str, int], threading.Lock] = defaultdict(threading.Lock)


@contextmanager
def allocation_lock(job_centre_id: int) -> Iterator[bool]:
    """Yield True while this process holds the job centre's allocation lock, else False.

    PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a connection of
    its own, held from reading the waiting list to the commit. Another process (a second
    scheduler, `flask allocate`, the admin button) gets False at once instead of waiting.
    The server drops the lock when the connection dies, so a crashed run never blocks the
    next one. A transaction-level `pg_advisory_xact_lock` would not do: the solve happens
    between two transactions, and the lock must cover it.

    SQLite: the same guarantee from an exclusive `flock` on a file next to the database
    file; the operating system drops it when the process dies. The database's own single
    write lock is no substitute: holding it through a solve would stop every other writer.
    An in-memory database lives in one process, so a process-local lock suffices there.
    """
    engine = db.engine
    if engine.dialect.name == "postgresql":
        connection = engine.connect()
        keys = {"ns": ADVISORY_LOCK_NAMESPACE, "id": job_centre_id}
        try:
            acquired = bool(connection.execute(text("SELECT pg_try_advisory_lock(:ns, :id)"), keys).scalar())
            connection.commit()
            try:
                yield acquired
            finally:
                if acquired:
                    connection.execute(text("SELECT pg_advisory_unlock(:ns, :id)"), keys)
                    connection.commit()
        except BaseException:
            connection.invalidate()  # closing the session releases the lock for sure
            raise
        finally:
            connection.close()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        lock = _local_locks[(str(engine.url), job_centre_id)]
        acquired = lock.acquire(blocking=False)
        try:
            yield acquired
        finally:
            if acquired:
                lock.release()
        return
    path = Path(f"{database}.allocation-{job_centre_id}.lock")
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
