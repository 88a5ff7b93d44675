"""One rate limiter shared by every worker process: a records-per-minute budget per key and a per-host cap.

Budget: GCRA pacing (requests are spread evenly instead of bursting) plus a log of grants that guarantees no
sliding window of ``window`` seconds ever holds more than ``per_minute`` records, even with mixed costs. A caller
reserves its start time in one atomic step and then sleeps until it, so waiters are served in order without polling.
Concurrency: leases that expire, so a killed process cannot hold a slot for ever.
State lives in Redis when ``settings.REDIS_URL`` is set (Lua scripts, Redis clock for every machine), otherwise in
a SQLite file under ``settings.VAR_DIR`` with ``BEGIN IMMEDIATE`` (all processes on one machine).
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

WINDOW_SECONDS = 60.0  # The budget is "per minute".
LEASE_SECONDS = 90.0  # Slot lease; longer than the client's 30 s read timeout so a live request keeps its slot.
SLOT_POLL_SECONDS = 0.05  # Mean wait between attempts to take a concurrency slot.
DEFAULT_MAX_CONCURRENT = 4
BOUNDARY_SECONDS = 1e-5  # Start strictly after a grant leaves the window, despite float rounding.


class ThrottleBusy(Exception):
    """The budget or the slots will not free up within ``max_wait``; ``retry_after`` is the estimated wait (s)."""

    def __init__(self, retry_after: float):
        self.retry_after = float(retry_after)
        super().__init__(f"Rate limit busy; retry in {self.retry_after:.1f}s")


def gcra_reserve(
    *, now: float, tat: float, grants: list[tuple[float, int]], cost: int, limit: int, window: float = WINDOW_SECONDS
) -> float:
    """Earliest start time for a request of ``cost`` records. Pure: no clock, no storage.

    ``tat`` is GCRA's theoretical arrival time (each admitted record pushes it by window/limit seconds).
    ``grants`` are earlier (start, cost) pairs, ascending; the start is delayed until the window (start-window,
    start] holds at most ``limit`` records including this one. The caller stores ``start + cost*window/limit``
    as the new tat and appends (start, cost) to the grants.
    """
    start = max(now, tat)
    needed = min(cost, limit)  # A request larger than the whole budget can only wait for an empty window.
    live = [(at, c) for at, c in grants if at > start - window]
    total = sum(c for _, c in live)
    for at, c in live:
        if total + needed <= limit:
            break
        total -= c
        start = max(start, at + window + BOUNDARY_SECONDS)
    return start


def next_tat(start: float, cost: int, limit: int, window: float = WINDOW_SECONDS) -> float:
    return start + cost * window / limit


class Throttle:
    """Shared budget for ``key`` (a connection) and a concurrency cap for ``host`` (an ActionKit instance)."""

    def __init__(
        self,
        *,
        key: str,
        per_minute: int | None,
        host: str,
        max_concurrent: int | None = DEFAULT_MAX_CONCURRENT,
        window: float = WINDOW_SECONDS,
        backend=None,
        lease_seconds: float = LEASE_SECONDS,
    ):
        self.key, self.per_minute, self.host = key, int(per_minute or 0), host
        self.max_concurrent, self.window, self.lease_seconds = int(max_concurrent or 0), window, lease_seconds
        self.backend = backend or default_backend()
        self.last_admitted_at: float | None = None  # Scheduled start of the last admitted request (backend clock).

    def acquire(self, cost: int = 1, *, max_wait: float = 60.0) -> None:
        """Block until ``cost`` records fit the budget; raise ThrottleBusy if that is more than ``max_wait`` away."""
        if not self.per_minute:
            return
        admitted, wait, start = self.backend.reserve(
            self.key, max(1, int(cost)), self.per_minute, self.window, max_wait
        )
        if not admitted:
            raise ThrottleBusy(wait)
        self.last_admitted_at = start
        if wait > 0:
            time.sleep(wait)

    @contextmanager
    def slot(self, *, max_wait: float = 30.0):
        """Hold one of ``max_concurrent`` request slots for ``host`` across all processes."""
        if not self.max_concurrent:
            yield
            return
        lease, deadline = uuid.uuid4().hex, time.monotonic() + max_wait
        while not self.backend.lease(self.host, lease, self.max_concurrent, self.lease_seconds):
            if time.monotonic() >= deadline:
                raise ThrottleBusy(SLOT_POLL_SECONDS * 20)
            time.sleep(random.uniform(0.5, 1.5) * SLOT_POLL_SECONDS)
        try:
            yield
        finally:
            self.backend.release(self.host, lease)

    def pause(self, seconds: float) -> None:
        """After a 429: nobody sharing this key starts a request for ``seconds``."""
        if self.per_minute and seconds > 0:
            self.backend.pause(self.key, float(seconds))

    def utilization(self) -> float:
        """Fraction of the budget granted in the last window (0.0 when unlimited)."""
        if not self.per_minute:
            return 0.0
        return self.backend.used(self.key, self.window) / self.per_minute


def throttle_for(*, key: str, per_minute: int, host: str, max_concurrent: int | None = None) -> Throttle:
    return Throttle(
        key=key,
        per_minute=per_minute,
        host=host,
        max_concurrent=DEFAULT_MAX_CONCURRENT if max_concurrent is None else max_concurrent,
    )


_backends: dict = {}


def default_backend():
    """Redis when settings.REDIS_URL is set, else the SQLite file; one per process (safe after fork)."""
    from django.conf import settings

    redis_url = settings.REDIS_URL
    var_dir = Path(settings.VAR_DIR)
    cache_key = (os.getpid(), redis_url, str(var_dir))
    if cache_key not in _backends:
        _backends[cache_key] = (
            RedisBackend.from_url(redis_url) if redis_url else LocalBackend(var_dir / "ratelimit.sqlite3")
        )
    return _backends[cache_key]


class LocalBackend:
    """All processes on one machine, through one SQLite file; each decision is one BEGIN IMMEDIATE transaction."""

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS gcra (key TEXT PRIMARY KEY, tat REAL NOT NULL);
    CREATE TABLE IF NOT EXISTS grants (key TEXT NOT NULL, at REAL NOT NULL, cost INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS grants_key_at ON grants (key, at);
    CREATE TABLE IF NOT EXISTS leases (lease TEXT PRIMARY KEY, host TEXT NOT NULL, expires REAL NOT NULL);
    CREATE INDEX IF NOT EXISTS leases_host ON leases (host, expires);
    """

    def __init__(self, path: Path | str):
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        setup = sqlite3.connect(self.path, timeout=30)
        setup.executescript(self.SCHEMA)
        setup.close()

    @contextmanager
    def _tx(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("BEGIN IMMEDIATE")
        with conn:  # COMMIT on the way out, ROLLBACK on any exception.
            yield conn

    def reserve(self, key: str, cost: int, limit: int, window: float, max_wait: float) -> tuple[bool, float, float]:
        with self._tx() as conn:
            now = time.time()
            conn.execute("DELETE FROM grants WHERE key = ? AND at <= ?", (key, now - window))
            row = conn.execute("SELECT tat FROM gcra WHERE key = ?", (key,)).fetchone()
            grants = conn.execute("SELECT at, cost FROM grants WHERE key = ? ORDER BY at", (key,)).fetchall()
            start = gcra_reserve(
                now=now, tat=row[0] if row else 0.0, grants=grants, cost=cost, limit=limit, window=window
            )
            if start - now > max_wait:
                return False, start - now, start
            conn.execute(
                "INSERT INTO gcra (key, tat) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET tat = excluded.tat",
                (key, next_tat(start, cost, limit, window)),
            )
            conn.execute("INSERT INTO grants (key, at, cost) VALUES (?, ?, ?)", (key, start, cost))
            return True, start - now, start

    def pause(self, key: str, seconds: float) -> None:
        with self._tx() as conn:
            until = time.time() + seconds
            conn.execute(
                "INSERT INTO gcra (key, tat) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                "tat = MAX(tat, excluded.tat)",
                (key, until),
            )

    def used(self, key: str, window: float) -> int:
        with self._tx() as conn:
            now = time.time()
            row = conn.execute(
                "SELECT COALESCE(SUM(cost), 0) FROM grants WHERE key = ? AND at > ? AND at <= ?",
                (key, now - window, now),
            ).fetchone()
            return int(row[0])

    def lease(self, host: str, lease: str, limit: int, seconds: float) -> bool:
        with self._tx() as conn:
            now = time.time()
            conn.execute("DELETE FROM leases WHERE host = ? AND expires <= ?", (host, now))
            if conn.execute("SELECT COUNT(*) FROM leases WHERE host = ?", (host,)).fetchone()[0] >= limit:
                return False
            conn.execute("INSERT INTO leases (lease, host, expires) VALUES (?, ?, ?)", (lease, host, now + seconds))
            return True

    def release(self, host: str, lease: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM leases WHERE lease = ?", (lease,))


# KEYS: tat, grants zset, sum of the grants' costs. ARGV: cost, limit, window, max_wait, member. Members are
# "<uuid>:<cost>". The running sum makes the common case (the budget is nowhere near used up) O(expired grants)
# instead of a scan of every grant in the window; it is rebuilt from the zset whenever it is missing.
RESERVE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local cost, limit, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local function cost_of(member) return tonumber(string.match(member, ':(%d+)$')) end
local sum = tonumber(redis.call('GET', KEYS[3]) or '-1')
if sum < 0 or redis.call('ZCARD', KEYS[2]) == 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
  sum = 0
  for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do sum = sum + cost_of(m) end
else
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - window)) do sum = sum - cost_of(m) end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
end
local start = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local needed = math.min(cost, limit)
if sum + needed > limit then
  local live = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. string.format('%.6f', start - window), '+inf', 'WITHSCORES')
  local total = 0
  for i = 1, #live, 2 do total = total + cost_of(live[i]) end
  local i = 1
  while total + needed > limit and i <= #live do
    total = total - cost_of(live[i])
    start = math.max(start, tonumber(live[i + 1]) + window + 0.00001)
    i = i + 2
  end
end
local wait = start - now
local ttl = math.ceil((start - now + window) * 1000) + 1000
if wait > tonumber(ARGV[4]) then
  redis.call('SET', KEYS[3], sum, 'PX', ttl)
  return {0, string.format('%.6f', wait), string.format('%.6f', start)}
end
local tat = start + cost * window / limit
redis.call('SET', KEYS[1], string.format('%.6f', tat), 'PX', math.ceil((tat - now + window) * 1000))
redis.call('ZADD', KEYS[2], string.format('%.6f', start), ARGV[5] .. ':' .. cost)
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('SET', KEYS[3], sum + cost, 'PX', ttl)
return {1, string.format('%.6f', wait), string.format('%.6f', start)}
"""
PAUSE_LUA = """
local t = redis.call('TIME')
local until_ = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
local tat = math.max(until_, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], string.format('%.6f', tat), 'PX', math.ceil((tonumber(ARGV[1]) + 120) * 1000))
"""
USED_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local total = 0
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. string.format('%.6f', now - tonumber(ARGV[1])), now)) do
  total = total + tonumber(string.match(m, ':(%d+)$'))
end
return total
"""
LEASE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) * 1000) + 1000)
return 1
"""


class RedisBackend:
    """Every process on every machine; each decision is one Lua script run against the Redis clock."""

    PREFIX = "akbridge:ratelimit"

    def __init__(self, client):
        self.redis = client
        self._reserve, self._pause = client.register_script(RESERVE_LUA), client.register_script(PAUSE_LUA)
        self._used, self._lease = client.register_script(USED_LUA), client.register_script(LEASE_LUA)

    @classmethod
    def from_url(cls, url: str) -> RedisBackend:
        import redis

        return cls(redis.Redis.from_url(url, socket_timeout=5))

    def _keys(self, key: str) -> list[str]:
        return [f"{self.PREFIX}:{{{key}}}:tat", f"{self.PREFIX}:{{{key}}}:grants", f"{self.PREFIX}:{{{key}}}:sum"]

    def reserve(self, key: str, cost: int, limit: int, window: float, max_wait: float) -> tuple[bool, float, float]:
        ok, wait, start = self._reserve(keys=self._keys(key), args=[cost, limit, window, max_wait, uuid.uuid4().hex])
        return bool(int(ok)), float(wait), float(start)

    def pause(self, key: str, seconds: float) -> None:
        self._pause(keys=self._keys(key)[:1], args=[seconds])

    def used(self, key: str, window: float) -> int:
        return int(self._used(keys=self._keys(key)[1:2], args=[window]))

    def lease(self, host: str, lease: str, limit: int, seconds: float) -> bool:
        return bool(self._lease(keys=[f"{self.PREFIX}:slots:{host}"], args=[limit, seconds, lease]))

    def release(self, host: str, lease: str) -> None:
        self.redis.zrem(f"{self.PREFIX}:slots:{host}", lease)
