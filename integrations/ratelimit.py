"""One rate limiter shared by every worker process: a records-per-minute budget per key and a per-host cap.

Budget: GCRA pacing (requests are spread evenly instead of bursting) plus a log of grants that guarantees no
sliding window of ``window`` seconds ever holds more than ``per_minute`` records, even with mixed costs. Live
requests that fell behind their pace may start up to ``catch_up(window)`` early to make the lost time up. A caller
reserves its start time in one atomic step and then sleeps until it, so waiters are served in order without polling.
Two priority classes share the budget (``priority_reserve``): bulk reads (polls) queue behind every grant already
made and leave a small reserve of every window free; live requests (outbox sends, pushes) are paced on their own
and start at once whenever every window containing that start still has room, in front of bulk reads that are
already sleeping until their own future starts.
Concurrency: leases that expire, so a killed process cannot hold a slot for ever.
State lives in Redis when ``settings.REDIS_URL`` is set (Lua scripts, Redis clock for every machine), otherwise in
a SQLite file under ``settings.VAR_DIR`` with ``BEGIN IMMEDIATE`` (all processes on one machine).
"""

from __future__ import annotations

import bisect
import math
import os
import random
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

WINDOW_SECONDS = 60.0  # The budget is "per minute".
LEASE_SECONDS = 90.0  # Slot lease; longer than the client's 30 s read timeout so a live request keeps its slot.
SLOT_POLL_SECONDS = 0.05  # Mean wait between attempts to take a concurrency slot.
DEFAULT_MAX_CONCURRENT = 4
BOUNDARY_SECONDS = 1e-5  # Start strictly after a grant leaves the window, despite float rounding.
LIVE, BULK = "live", "bulk"  # Priority classes: requests somebody is waiting for, and poll reads.
# Share of every window that bulk reads leave free for live requests, on top of the live traffic already in it.
# 2 % of a 980-record plan is 20 records: a member push is 1 or 2 requests of one record, so ten pushes arriving in
# the few seconds bulk reserves ahead all start at once, and more live traffic than that only makes bulk yield
# further. Without live traffic bulk keeps 960 records a minute (96 % of a 1000 budget, and pages of 96 fill it
# exactly); every extra percent of reserve would cost each initial sync a percent of its speed.
LIVE_RESERVE_SHARE = 0.02
SLOT_WITH_BUDGET_SECONDS = 0.5  # A request starting this soon takes its host slot in the budget's round trip.
# Seconds of a 60 s window that live requests may start ahead of their pace (GCRA's tolerance). A sender that waits
# for its database or a slow answer starts its next request late, and plain GCRA loses that time for good: with one
# send in flight per connection on two busy cores, a backfill used only 93-95 % of its budget (bench/
# send_live_latency.py, embedded). With tolerance the pace comes back after a stall of up to this long; the grant
# log still holds every window to the budget, so the catch-up is a short run of back-to-back requests, never more
# records a minute and never more at once than the host's slots allow.
LIVE_CATCH_UP_SECONDS = 1.0


class ThrottleBusy(Exception):
    """The budget or the slots will not free up within ``max_wait``; ``retry_after`` is the estimated wait (s)."""

    def __init__(self, retry_after: float, *, slots: bool = False):
        self.retry_after, self.slots = float(retry_after), slots  # slots: the host cap, not the budget, is full.
        super().__init__(f"Rate limit busy; retry in {self.retry_after:.1f}s")


def gcra_reserve(
    *, now: float, tat: float, grants: list[tuple[float, int]], cost: int, limit: int, window: float = WINDOW_SECONDS
) -> float:
    """Earliest start time for a request of ``cost`` records. Pure: no clock, no storage.

    ``tat`` is GCRA's theoretical arrival time (each admitted record pushes it by window/limit seconds).
    ``grants`` are earlier (start, cost) pairs (or longer tuples that begin so), ascending; the start is delayed
    until the window (start-window, start] holds at most ``limit`` records including this one. The caller stores
    ``start + cost*window/limit`` as the new tat and appends (start, cost) to the grants.
    """
    start = max(now, tat)
    needed = min(cost, limit)  # A request larger than the whole budget can only wait for an empty window.
    live = grants[bisect.bisect_right(grants, (start - window, math.inf)):]
    total = sum(map(itemgetter(1), live))
    for at, c, *_ in live:
        if total + needed <= limit:
            break
        total -= c
        start = max(start, at + window + BOUNDARY_SECONDS)
    return start


def next_tat(start: float, cost: int, limit: int, window: float = WINDOW_SECONDS, *, tat: float = 0.0) -> float:
    """The class's theoretical arrival time after a grant at ``start``: a start made early by the catch-up
    allowance moves the schedule from the old ``tat``, not from the start, so catching up never adds records."""
    return max(start, tat) + cost * window / limit


def catch_up(window: float = WINDOW_SECONDS) -> float:
    """How far ahead of its pace a live request may start: LIVE_CATCH_UP_SECONDS of every minute of ``window``."""
    return LIVE_CATCH_UP_SECONDS * window / WINDOW_SECONDS


def live_reserve(limit: int) -> int:
    """Records of every window that bulk reads leave free for live requests: LIVE_RESERVE_SHARE, at least one
    unless the whole limit is one record."""
    return min(limit - 1, max(1, math.ceil(limit * LIVE_RESERVE_SHARE))) if limit > 1 else 0


def class_limit(limit: int, priority: str) -> int:
    """Records one class may fill in a window, and the rate its own GCRA paces it at."""
    return limit - live_reserve(limit) if priority == BULK else limit


Grant = tuple[float, int, str]  # (start, cost, priority)


def window_peak(grants: list[Grant], start: float, window: float = WINDOW_SECONDS) -> int:
    """Largest total of ``grants`` (ascending) in any window (end-window, end] that contains ``start``.

    Grants after ``start`` count: bulk reads reserve seconds ahead, so a window holding a live start can end at a
    bulk grant that is still in the future. Only windows ending at ``start`` or at a grant can be the fullest.
    """
    # A full budget holds a window's worth of grants and this runs for every decision and every peek, so the
    # first window is found by bisection and summed in C; only the (few) future grants are walked in Python.
    left = bisect.bisect_right(grants, (start - window, math.inf))
    right = bisect.bisect_right(grants, (start, math.inf))
    peak = total = sum(map(itemgetter(1), grants[left:right]))
    ends = [g[0] for g in grants[right:bisect.bisect_left(grants, (start + window,))]]
    for end in ends:
        while right < len(grants) and grants[right][0] <= end:
            total += grants[right][1]
            right += 1
        while left < right and grants[left][0] <= end - window:
            total -= grants[left][1]
            left += 1
        peak = max(peak, total)
    return peak


def priority_reserve(
    *, now: float, tat: float, grants: list[Grant], cost: int, limit: int, priority: str = LIVE,
    window: float = WINDOW_SECONDS,
) -> float:
    """Earliest start for a request of ``priority``. Pure: no clock, no storage.

    ``tat`` is the class's own theoretical arrival time and ``grants`` every grant of both classes, ascending by
    start. The caller stores ``next_tat(start, cost, class_limit(limit, priority), tat=tat)`` as the class's tat
    and adds (start, cost, priority) to the grants. Invariant: no window of ``window`` seconds holds more than ``limit``
    records. Bulk goes after every grant made so far, so only the window ending at its start can overflow, and
    fills that window, live grants included, to at most ``class_limit(limit, BULK)``: however much live traffic
    there is, each bulk read leaves the live reserve free on top of it, so bulk yields as live grows.
    Live starts at its own pace, up to ``catch_up(window)`` early when it fell behind it, if every window
    containing that start has room under the full limit (including windows that end at bulk grants still in the
    future); otherwise it joins the same queue as bulk.
    """
    last = grants[-1][0] if grants else 0.0
    if priority == BULK:
        return gcra_reserve(now=now, tat=max(tat, last), grants=grants, cost=cost, limit=class_limit(limit, BULK),
                            window=window)
    start = max(now, tat - catch_up(window))
    if window_peak(grants, start, window) + min(cost, limit) <= limit:
        return start
    return gcra_reserve(now=now, tat=max(start, last), grants=grants, cost=cost, limit=limit, window=window)


@dataclass(frozen=True)
class SlotAsk:
    """A host slot to take in the budget's own round trip when the request may start within ``within`` seconds."""

    host: str
    lease: str
    limit: int
    seconds: float
    within: float = SLOT_WITH_BUDGET_SECONDS


@dataclass(frozen=True)
class Admission:
    admitted: bool
    wait: float  # Seconds from the backend's now to ``start``.
    start: float  # Scheduled start on the backend's clock.
    leased: bool = False  # The SlotAsk's lease was taken (release it after the request).


class Throttle:
    """Shared budget for ``key`` (a connection) and a concurrency cap for ``host`` (an ActionKit instance).

    ``priority`` is LIVE or BULK: every request through this throttle is of that class (see priority_reserve).
    """

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
        priority: str = LIVE,
    ):
        if priority not in (LIVE, BULK):
            raise ValueError(f"Unknown priority {priority!r}")
        self.key, self.per_minute, self.host, self.priority = key, int(per_minute or 0), host, priority
        self.max_concurrent, self.window, self.lease_seconds = int(max_concurrent or 0), window, lease_seconds
        self.backend = backend or default_backend()
        self.last_admitted_at: float | None = None  # Scheduled start of the last admitted request (backend clock).

    @property
    def class_per_minute(self) -> int:
        """Records a window this throttle's class may fill (0 when unlimited); polls size their pages to it."""
        return class_limit(self.per_minute, self.priority) if self.per_minute else 0

    def acquire(self, cost: int = 1, *, max_wait: float = 60.0) -> None:
        """Block until ``cost`` records fit the budget; raise ThrottleBusy if that is more than ``max_wait`` away."""
        self._admit(cost, max_wait, None)

    @contextmanager
    def admit(self, cost: int = 1, *, max_wait: float = 60.0, slot_wait: float = 30.0):
        """Budget for ``cost`` records, then a host slot held for the body: what one HTTP request needs.

        A request that may start at once takes its slot in the same backend call as its budget; one that waits
        for the budget asks for the slot after its sleep, so sleepers never hold slots. Raises ThrottleBusy.
        """
        ask = SlotAsk(self.host, uuid.uuid4().hex, self.max_concurrent, self.lease_seconds) if (
            self.max_concurrent and self.per_minute) else None
        if self._admit(cost, max_wait, ask):
            try:
                yield
            finally:
                self.backend.release(self.host, ask.lease)
            return
        with self.slot(max_wait=slot_wait):
            yield

    def _admit(self, cost: int, max_wait: float, ask: SlotAsk | None) -> bool:
        """Reserve and sleep until the start; True when ``ask``'s slot was taken with the budget."""
        if not self.per_minute:
            return False
        admission = self.backend.admit(self.key, max(1, int(cost)), self.per_minute, self.window, max_wait,
                                       priority=self.priority, slot=ask)
        if not admission.admitted:
            raise ThrottleBusy(admission.wait)
        self.last_admitted_at = admission.start
        if admission.wait > 0:
            time.sleep(admission.wait)
        return admission.leased

    @contextmanager
    def slot(self, *, max_wait: float = 30.0):
        """Hold one of ``max_concurrent`` request slots for ``host`` across all processes."""
        if not self.max_concurrent:
            yield
            return
        lease, deadline = uuid.uuid4().hex, time.monotonic() + max_wait
        while not self.backend.lease(self.host, lease, self.max_concurrent, self.lease_seconds):
            if time.monotonic() >= deadline:
                raise ThrottleBusy(SLOT_POLL_SECONDS * 20, slots=True)
            time.sleep(random.uniform(0.5, 1.5) * SLOT_POLL_SECONDS)
        try:
            yield
        finally:
            self.backend.release(self.host, lease)

    def pause(self, seconds: float) -> None:
        """After a 429: nobody sharing this key starts a request for ``seconds``, whatever its class."""
        if self.per_minute and seconds > 0:
            self.backend.pause(self.key, float(seconds), window=self.window)

    def utilization(self) -> float:
        """Fraction of the budget granted in the last window (0.0 when unlimited)."""
        if not self.per_minute:
            return 0.0
        return self.backend.used(self.key, self.window) / self.per_minute


def throttle_for(
    *, key: str, per_minute: int, host: str, max_concurrent: int | None = None, priority: str = LIVE
) -> Throttle:
    return Throttle(
        key=key,
        per_minute=per_minute,
        host=host,
        max_concurrent=DEFAULT_MAX_CONCURRENT if max_concurrent is None else max_concurrent,
        priority=priority,
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


class BudgetBackend:
    """What both backends share: ``reserve`` is ``admit`` without a slot, in the tuple form callers read."""

    def reserve(self, key: str, cost: int, limit: int, window: float, max_wait: float,
                priority: str = LIVE) -> tuple[bool, float, float]:
        """(admitted, wait, start); a negative ``max_wait`` only asks how long the wait would be."""
        admission = self.admit(key, cost, limit, window, max_wait, priority=priority)
        return admission.admitted, admission.wait, admission.start

    def admit(self, key: str, cost: int, limit: int, window: float, max_wait: float, *, priority: str = LIVE,
              slot: SlotAsk | None = None) -> Admission:
        raise NotImplementedError

    def grant_log(self, key: str, window: float) -> list[Grant]:
        """The grants still in the window or ahead of now, ascending: what tests and benchmarks inspect."""
        raise NotImplementedError


class LocalBackend(BudgetBackend):
    """All processes on one machine, through one SQLite file; each decision is one BEGIN IMMEDIATE transaction.

    A decision reads every grant of the key still in the window, and a budget in full use has a window's worth
    (1,000 at 1000/min). Read whole, they held SQLite's one write lock for about 1 ms a decision, so paced sends of
    every other process waited in SQLite's busy sleeps. Each thread keeps the grants it has read and, inside the
    decision, reads only those added since (the ids only grow: AUTOINCREMENT), and drops those out of the window
    as the DELETE does: about 0.1 ms a decision at any fill.
    """

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS pacing (
        key TEXT NOT NULL, priority TEXT NOT NULL, tat REAL NOT NULL, PRIMARY KEY (key, priority));
    CREATE TABLE IF NOT EXISTS grants (
        id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, at REAL NOT NULL, cost INTEGER NOT NULL,
        priority TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS grants_key_at ON grants (key, at);
    CREATE INDEX IF NOT EXISTS grants_key_id ON grants (key, id);
    CREATE TABLE IF NOT EXISTS leases (lease TEXT PRIMARY KEY, host TEXT NOT NULL, expires REAL NOT NULL);
    CREATE INDEX IF NOT EXISTS leases_host ON leases (host, expires);
    """

    def __init__(self, path: Path | str):
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        # SQLite makes a writer that finds the lock taken sleep 1 ms, then 2, 5, 10…: far longer than a decision
        # holds it, and a sender thread that sleeps there starts its paced request late. The threads of a process
        # queue here instead and are woken the moment the lock is free, so only processes meet SQLite's sleeps.
        self._writer = threading.Lock()
        setup = sqlite3.connect(self.path, timeout=30)
        setup.executescript(self.SCHEMA)
        setup.close()

    @contextmanager
    def _tx(self, *, write: bool = True):
        """A decision's transaction. ``write=False`` is a WAL reader: it takes no lock and waits for no writer."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            # No fsync per decision: a commit then holds the write lock for microseconds, not a disk flush, so the
            # sender threads of every process rarely meet SQLite's busy sleeps (1 ms and up), which would make paced
            # sends late. A power cut can lose the last decisions; the budget then errs by at most those grants.
            conn.execute("PRAGMA synchronous=NORMAL")
        with self._writer if write else nullcontext():
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            with conn:  # COMMIT on the way out, ROLLBACK on any exception.
                yield conn

    def _window_grants(self, conn, key: str, since: float) -> list[Grant]:
        """The key's grants after `since`, ascending by start, from this thread's copy plus what was added since
        this thread last looked, less those that left the window. Called inside the decision's transaction."""
        known = getattr(self._local, "grants", None)
        if known is None:
            known = self._local.grants = {}
        last_id, grants = known.get(key, (0, []))
        for row_id, at, cost, priority in conn.execute(
                "SELECT id, at, cost, priority FROM grants WHERE key = ? AND id > ? ORDER BY id", (key, last_id)):
            bisect.insort(grants, (at, cost, priority))
            last_id = row_id
        expired = bisect.bisect_right(grants, (since, math.inf))
        del grants[:expired]
        known[key] = (last_id, grants)
        return grants

    def admit(self, key: str, cost: int, limit: int, window: float, max_wait: float, *, priority: str = LIVE,
              slot: SlotAsk | None = None) -> Admission:
        peek = max_wait < 0  # Only asks how long the wait would be, so it reads a snapshot and writes nothing.
        with self._tx(write=not peek) as conn:
            now = time.time()
            if not peek:
                conn.execute("DELETE FROM grants WHERE key = ? AND at <= ?", (key, now - window))
            row = conn.execute("SELECT tat FROM pacing WHERE key = ? AND priority = ?", (key, priority)).fetchone()
            tat = row[0] if row else 0.0
            grants = self._window_grants(conn, key, now - window)
            start = priority_reserve(now=now, tat=tat, grants=grants, cost=cost, limit=limit, priority=priority,
                                     window=window)
            if start - now > max_wait:
                return Admission(False, start - now, start)
            conn.execute(
                "INSERT INTO pacing (key, priority, tat) VALUES (?, ?, ?) "
                "ON CONFLICT (key, priority) DO UPDATE SET tat = excluded.tat",
                (key, priority, next_tat(start, cost, class_limit(limit, priority), window, tat=tat)),
            )
            conn.execute("INSERT INTO grants (key, at, cost, priority) VALUES (?, ?, ?, ?)",
                         (key, start, cost, priority))
            leased = slot is not None and start - now <= slot.within and self._lease(conn, slot, now, begins=start)
            return Admission(True, start - now, start, leased)

    def pause(self, key: str, seconds: float, *, window: float = WINDOW_SECONDS) -> None:
        with self._tx() as conn:
            until = time.time() + seconds
            # Live may start catch_up() ahead of its tat, so its tat is set that much later: nobody starts before.
            for priority, tat in ((LIVE, until + catch_up(window)), (BULK, until)):
                conn.execute(
                    "INSERT INTO pacing (key, priority, tat) VALUES (?, ?, ?) "
                    "ON CONFLICT (key, priority) DO UPDATE SET tat = MAX(tat, excluded.tat)",
                    (key, priority, tat),
                )

    def grant_log(self, key: str, window: float) -> list[Grant]:
        with self._tx(write=False) as conn:
            return conn.execute("SELECT at, cost, priority FROM grants WHERE key = ? AND at > ? ORDER BY at",
                                (key, time.time() - window)).fetchall()

    def used(self, key: str, window: float) -> int:
        with self._tx(write=False) as conn:
            now = time.time()
            row = conn.execute(
                "SELECT COALESCE(SUM(cost), 0) FROM grants WHERE key = ? AND at > ? AND at <= ?",
                (key, now - window, now),
            ).fetchone()
            return int(row[0])

    def lease(self, host: str, lease: str, limit: int, seconds: float) -> bool:
        with self._tx() as conn:
            return self._lease(conn, SlotAsk(host, lease, limit, seconds), time.time())

    @staticmethod
    def _lease(conn, ask: SlotAsk, now: float, *, begins: float = 0.0) -> bool:
        conn.execute("DELETE FROM leases WHERE host = ? AND expires <= ?", (ask.host, now))
        if conn.execute("SELECT COUNT(*) FROM leases WHERE host = ?", (ask.host,)).fetchone()[0] >= ask.limit:
            return False
        conn.execute("INSERT INTO leases (lease, host, expires) VALUES (?, ?, ?)",
                     (ask.lease, ask.host, max(now, begins) + ask.seconds))
        return True

    def release(self, host: str, lease: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM leases WHERE lease = ?", (lease,))


# One host-slot lease, for LEASE_LUA and ADMIT_LUA: 1 if taken, 0 when `limit` unexpired leases hold the host.
TAKE_SLOT_LUA = """
local function take_slot(key, limit, now, begins, seconds, lease)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) >= limit then return 0 end
  redis.call('ZADD', key, begins + seconds, lease)
  redis.call('PEXPIRE', key, math.ceil((begins - now + seconds) * 1000) + 1000)
  return 1
end
"""

# The Lua twin of priority_reserve, with the host-slot lease of LEASE_LUA folded in (one round trip per request).
# KEYS: live tat, bulk tat, grants zset, sum of the grants' costs, host slots zset. ARGV: cost, limit, window,
# max_wait, member, priority, bulk limit, slot limit (0: no slot), lease seconds, lease id, slot within (s), live
# catch-up (s).
# Members are "<uuid>:<priority>:<cost>". The running sum makes the common case (the budget is nowhere near used up)
# O(expired grants) instead of a scan of every grant in the window; it is rebuilt from the zset whenever it is
# missing. The slots key sits outside the connection's hash tag: this needs one Redis, not a cluster.
ADMIT_LUA = TAKE_SLOT_LUA + """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local cost, limit, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local bulk, bulk_limit = ARGV[6] == 'bulk', tonumber(ARGV[7])
local function cost_of(member) return tonumber(string.match(member, ':(%d+)$')) end
local function fmt(x) return string.format('%.6f', x) end
local sum = tonumber(redis.call('GET', KEYS[4]) or '-1')
if sum < 0 or redis.call('ZCARD', KEYS[3]) == 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window)
  sum = 0
  for _, m in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do sum = sum + cost_of(m) end
else
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now - window)) do sum = sum - cost_of(m) end
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window)
end
local tail = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
local last = #tail > 0 and tonumber(tail[2]) or 0

-- gcra_reserve: the earliest start from `from` (after every grant) where (start-window, start] has room under `lim`.
local function trailing(from, lim)
  local start, needed = from, math.min(cost, lim)
  if sum + needed <= lim then return start end
  local live = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. fmt(start - window), '+inf', 'WITHSCORES')
  local total = 0
  for i = 1, #live, 2 do total = total + cost_of(live[i]) end
  local i = 1
  while total + needed > lim and i <= #live do
    total = total - cost_of(live[i])
    start = math.max(start, tonumber(live[i + 1]) + window + 0.00001)
    i = i + 2
  end
  return start
end

-- window_peak: the fullest window (end-window, end] containing s, ending at s or at a grant before s+window.
local function peak(s)
  local rows = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. fmt(s - window), '(' .. fmt(s + window), 'WITHSCORES')
  local ats, costs, n = {}, {}, #rows / 2
  for i = 1, n do ats[i], costs[i] = tonumber(rows[2 * i]), cost_of(rows[2 * i - 1]) end
  local best, total, left, right = 0, 0, 1, 1
  local function visit(e)
    while right <= n and ats[right] <= e do total, right = total + costs[right], right + 1 end
    while left < right and ats[left] <= e - window do total, left = total - costs[left], left + 1 end
    if total > best then best = total end
  end
  visit(s)
  for i = 1, n do if ats[i] > s then visit(ats[i]) end end
  return best
end

local tat_key = bulk and KEYS[2] or KEYS[1]
local own_tat = tonumber(redis.call('GET', tat_key) or '0')
local start, pace
if bulk then
  start, pace = trailing(math.max(now, own_tat, last), bulk_limit), bulk_limit
else
  start, pace = math.max(now, own_tat - tonumber(ARGV[12])), limit
  local needed = math.min(cost, limit)
  if sum + needed > limit and peak(start) + needed > limit then start = trailing(math.max(start, last), limit) end
end
local wait = start - now
local ttl = math.ceil((math.max(start, last) - now + window) * 1000) + 1000
if wait > tonumber(ARGV[4]) then
  redis.call('SET', KEYS[4], sum, 'PX', ttl)
  return {0, fmt(wait), fmt(start), 0}
end
local tat = math.max(start, own_tat) + cost * window / pace
redis.call('SET', tat_key, fmt(tat), 'PX', math.ceil((tat - now + window) * 1000))
redis.call('ZADD', KEYS[3], fmt(start), ARGV[5] .. ':' .. ARGV[6] .. ':' .. cost)
redis.call('PEXPIRE', KEYS[3], ttl)
redis.call('SET', KEYS[4], sum + cost, 'PX', ttl)
local slots = tonumber(ARGV[8])
if slots == 0 or wait > tonumber(ARGV[11]) then return {1, fmt(wait), fmt(start), 0} end
return {1, fmt(wait), fmt(start), take_slot(KEYS[5], slots, now, math.max(now, start), tonumber(ARGV[9]), ARGV[10])}
"""
# KEYS: live tat, bulk tat. ARGV: seconds, live catch-up (live may start that far ahead of its tat).
PAUSE_LUA = """
local t = redis.call('TIME')
local until_ = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local tat = math.max(until_ + (i == 1 and tonumber(ARGV[2]) or 0), tonumber(redis.call('GET', key) or '0'))
  redis.call('SET', key, string.format('%.6f', tat), 'PX', math.ceil((tonumber(ARGV[1]) + 120) * 1000))
end
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
LEASE_LUA = TAKE_SLOT_LUA + """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
return take_slot(KEYS[1], tonumber(ARGV[1]), now, now, tonumber(ARGV[2]), ARGV[3])
"""


class RedisBackend(BudgetBackend):
    """Every process on every machine; each decision is one Lua script run against the Redis clock."""

    PREFIX = "akbridge:ratelimit"

    def __init__(self, client):
        self.redis = client
        self._admit, self._pause = client.register_script(ADMIT_LUA), client.register_script(PAUSE_LUA)
        self._used, self._lease = client.register_script(USED_LUA), client.register_script(LEASE_LUA)

    @classmethod
    def from_url(cls, url: str) -> RedisBackend:
        import redis

        return cls(redis.Redis.from_url(url, socket_timeout=5))

    def _keys(self, key: str) -> list[str]:
        """Live tat (the name the single-class limiter used for its tat), bulk tat, grants, grants' cost sum."""
        names = ("tat", "tat:bulk", "grants", "sum")
        return [f"{self.PREFIX}:{{{key}}}:{name}" for name in names]

    def _slots(self, host: str) -> str:
        return f"{self.PREFIX}:slots:{host}"

    def admit(self, key: str, cost: int, limit: int, window: float, max_wait: float, *, priority: str = LIVE,
              slot: SlotAsk | None = None) -> Admission:
        ask = slot or SlotAsk("-", "", 0, 0.0)
        ok, wait, start, leased = self._admit(
            keys=[*self._keys(key), self._slots(ask.host)],
            args=[cost, limit, window, max_wait, uuid.uuid4().hex, priority, class_limit(limit, BULK), ask.limit,
                  ask.seconds, ask.lease, ask.within, catch_up(window)])
        return Admission(bool(int(ok)), float(wait), float(start), bool(int(leased)))

    def pause(self, key: str, seconds: float, *, window: float = WINDOW_SECONDS) -> None:
        self._pause(keys=self._keys(key)[:2], args=[seconds, catch_up(window)])

    def grant_log(self, key: str, window: float) -> list[Grant]:
        seconds, micros = self.redis.time()
        rows = self.redis.zrangebyscore(self._keys(key)[2], f"({seconds + micros / 1e6 - window:.6f}", "+inf",
                                        withscores=True)
        parts = [(member.decode().split(":"), at) for member, at in rows]
        return [(at, int(p[-1]), p[1] if len(p) == 3 else LIVE) for p, at in parts]  # "<uuid>:<cost>" was live.

    def used(self, key: str, window: float) -> int:
        return int(self._used(keys=self._keys(key)[2:3], args=[window]))

    def lease(self, host: str, lease: str, limit: int, seconds: float) -> bool:
        return bool(self._lease(keys=[self._slots(host)], args=[limit, seconds, lease]))

    def release(self, host: str, lease: str) -> None:
        self.redis.zrem(self._slots(host), lease)
