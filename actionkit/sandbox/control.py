"""Sandbox knobs shared by all request threads: limits, injected faults, quirks and counters.

The server runs one process with many threads, so plain memory guarded by a lock is the shared state.
Quirks switch on behaviours a real ActionKit (django-tastypie) has and the product must survive; all are off by
default so today's product keeps working (docs/actionkit-compatibility.md lists which assumption each one tests).
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field

FAULT_KINDS = ("500", "503", "slow", "401", "429")
RATE_WINDOW_SECONDS = 60.0
QUIRKS = {
    "unknown_filters_ignored": "A filter on a field the resource does not have is dropped and the unfiltered list "
    "comes back (tastypie ModelResource.build_filters); by default the sandbox answers 400.",
    "forbidden_resources": "The staff account lacks permission on the listed resources: those alone answer 401 "
    "with an empty body and no WWW-Authenticate (tastypie Resource.unauthorized_result).",
    "phone_field_writes_keep_updated_at": "Writes to phone/ and userfield/ leave the owning user's updated_at alone "
    "(they save another row); by default the sandbox bumps it.",
    "usergroups_without_id": "usergroup objects carry only name, resource_uri and timestamps, no id: the shape "
    "WeMove's client reads; the id is then only in the resource_uri.",
    "users_without_groups": "user objects carry no groups and groups= is not a user filter: no public source "
    "documents either; membership is then only in core_user_groups through report/run/sql/.",
    "relative_locations": "Location headers are paths, the sandbox's old guess; real ActionKit sends absolute URLs, "
    "which is the default. Kept to prove the client reads both.",
}


@dataclass
class Fault:
    kind: str
    remaining: int
    delay: float = 35.0  # "slow": longer than the client's default 30 s read timeout.
    retry_after: str | None = None


@dataclass
class Control:
    per_minute: int | None = None
    max_concurrent: int | None = None
    faults: deque = field(default_factory=deque)
    in_flight: int = 0
    served: deque = field(default_factory=deque)  # (monotonic time, records) for the per-minute limit
    counters: Counter = field(default_factory=Counter)
    quirks: dict[str, bool] = field(default_factory=dict)
    forbidden: frozenset[str] = frozenset()
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set_limits(self, per_minute: int | None, max_concurrent: int | None) -> None:
        with self.lock:
            self.per_minute, self.max_concurrent = per_minute or None, max_concurrent or None
            self.served.clear()

    def inject(self, kind: str, count: int = 1, *, delay: float | None = None, retry_after=None) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"Unknown fault {kind!r}; use one of {', '.join(FAULT_KINDS)}.")
        fault = Fault(kind, int(count), retry_after=None if retry_after is None else str(retry_after))
        if delay is not None:
            fault.delay = float(delay)
        with self.lock:
            self.faults.append(fault)

    def set_quirk(self, name: str, on: bool = True, resources=None) -> None:
        if name not in QUIRKS:
            raise ValueError(f"Unknown quirk {name!r}; use one of {', '.join(QUIRKS)}.")
        forbidden = frozenset(str(r) for r in resources or ()) if on else frozenset()
        if name == "forbidden_resources" and on and not forbidden:
            raise ValueError("forbidden_resources needs a list of resource names.")
        with self.lock:
            self.quirks[name] = bool(on)
            if name == "forbidden_resources":
                self.forbidden = forbidden

    def quirks_off(self) -> None:
        with self.lock:
            self.quirks.clear()
            self.forbidden = frozenset()

    def quirk(self, name: str) -> bool:
        return self.quirks.get(name, False)  # A dict read needs no lock.

    def forbids(self, resource: str) -> bool:
        return resource in self.forbidden

    def next_fault(self) -> Fault | None:
        with self.lock:
            while self.faults and self.faults[0].remaining <= 0:
                self.faults.popleft()
            if not self.faults:
                return None
            self.faults[0].remaining -= 1
            return self.faults[0]

    def admit(self) -> str | None:
        """Enter a request; returns a 429 reason when a limit is hit (the caller must then not call leave())."""
        with self.lock:
            self.counters["requests"] += 1
            if self.max_concurrent and self.in_flight >= self.max_concurrent:
                self.counters["429s"] += 1
                return "Your application is sending too many simultaneous requests."
            if self.per_minute and self._used() >= self.per_minute:
                self.counters["429s"] += 1
                return "Your application has exceeded its records-per-minute allowance."
            self.in_flight += 1
            return None

    def leave(self, records: int) -> None:
        with self.lock:
            self.in_flight -= 1
            if self.per_minute:
                self.served.append((time.monotonic(), max(1, records)))

    def _used(self) -> int:
        horizon = time.monotonic() - RATE_WINDOW_SECONDS
        while self.served and self.served[0][0] <= horizon:
            self.served.popleft()
        return sum(n for _, n in self.served)

    def count(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counters[name] += n

    def reset(self) -> None:
        with self.lock:
            self.per_minute = self.max_concurrent = None
            self.faults.clear()
            self.served.clear()
            self.counters.clear()
            self.quirks.clear()
            self.forbidden = frozenset()

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "requests": self.counters["requests"],
                "429s_served": self.counters["429s"],
                "faults_served": self.counters["faults"],
                "in_flight": self.in_flight,
                "limits": {"per_minute": self.per_minute, "max_concurrent": self.max_concurrent},
                "faults_pending": [{"kind": f.kind, "remaining": f.remaining} for f in self.faults],
                "quirks": self._quirks_snapshot(),
            }

    def _quirks_snapshot(self) -> dict:
        on = {name: True for name, value in self.quirks.items() if value}
        if self.forbidden:
            on["forbidden_resources"] = sorted(self.forbidden)
        return on
