"""Bulk fake data: executemany in chunks, so a million users take seconds, not hours."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from actionkit.sandbox import db

CHUNK = 20_000
SMS_OPT_IN_VALUES = ("Yes", "no", "TBD", "yes", "No", "")
PHONE_TYPES = ("mobile", "work", "home")
FIRST = ("Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo")
LAST = ("Smith", "Garcia", "Nguyen", "Okafor", "Kowalski", "Haddad", "Silva", "Brown")
SPREAD_DAYS = 365  # updated_at values are spread over the last year so since-filters select a share.


def _stamps(rng: random.Random, n: int) -> list[str]:
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=SPREAD_DAYS)
    return sorted((start + timedelta(seconds=rng.randrange(SPREAD_DAYS * 86400))).isoformat() for _ in range(n))


def _chunks(total: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, CHUNK):
        yield start, min(CHUNK, total - start)


def seed(
    conn: sqlite3.Connection,
    *,
    users: int = 0,
    pages: int = 0,
    actions: int = 0,
    usergroups: int = 0,
    rng_seed: int = 1,
) -> dict:
    rng = random.Random(rng_seed)
    first_user = (conn.execute("SELECT COALESCE(MAX(id), 0) FROM user").fetchone()[0]) + 1
    for start, n in _chunks(users):
        with db.write(conn):
            _users(conn, rng, first_user + start, n)
    page_ids = _pages(conn, rng, pages) if pages else []
    page_ids = page_ids or [r[0] for r in conn.execute("SELECT id FROM page LIMIT 1000")]
    max_user = conn.execute("SELECT COALESCE(MAX(id), 0) FROM user").fetchone()[0]
    if actions and page_ids and max_user:
        for _, n in _chunks(actions):
            with db.write(conn):
                _actions(conn, rng, n, page_ids, max_user)
    if usergroups:
        with db.write(conn):
            _usergroups(conn, rng, usergroups, max_user)
    return {"users": users, "pages": pages, "actions": actions, "usergroups": usergroups}


def _users(conn, rng: random.Random, first_id: int, n: int) -> None:
    stamps = _stamps(rng, n)
    rows = [
        (
            first_id + i,
            f"seed{first_id + i}@example.org",
            rng.choice(FIRST),
            rng.choice(LAST),
            f"{rng.randrange(1, 999)} Main St",
            "Springfield",
            "CA",
            f"{rng.randrange(90000, 96199):05d}",
            rng.choice(("subscribed", "subscribed", "unsubscribed", "bounced", "never")),
            stamps[i],
            stamps[i],
        )
        for i in range(n)
    ]
    conn.executemany(
        "INSERT INTO user (id, email, first_name, last_name, address1, city, state, zip, "
        "subscription_status, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    phones = []
    for user_id, *_rest, ts, _ in rows:
        for kind in rng.sample(PHONE_TYPES, rng.randint(1, 3)):
            digits = f"{rng.randrange(200, 999)}{rng.randrange(200, 999)}{rng.randrange(0, 9999):04d}"
            phones.append((user_id, kind, f"{digits[:3]}-{digits[3:6]}-{digits[6:]}", digits, ts, ts))
    conn.executemany(
        "INSERT INTO phone (user_id, type, phone, normalized_phone, created_at, updated_at) VALUES (?,?,?,?,?,?)",
        phones,
    )
    conn.executemany(
        "INSERT INTO userfield (user_id, name, value, updated_at) VALUES (?, 'sms_opt_in', ?, ?)",
        [(r[0], rng.choice(SMS_OPT_IN_VALUES), r[-2]) for r in rows],
    )


def _pages(conn, rng: random.Random, n: int) -> list[int]:
    first = conn.execute("SELECT COALESCE(MAX(id), 0) FROM page").fetchone()[0] + 1
    stamps = _stamps(rng, n)
    kinds = ("Petition", "Signup", "Import", "Donation", "Survey")
    rows = [
        (
            first + i,
            kinds[i % len(kinds)],
            f"seed-page-{first + i}",
            f"Seed page {first + i}",
            int(rng.random() < 0.1),
            stamps[i],
            stamps[i],
        )
        for i in range(n)
    ]
    with db.write(conn):
        conn.executemany(
            "INSERT INTO page (id, type, name, title, hidden, created_at, updated_at) VALUES (?,?,?,?,?,?,?)", rows
        )
    return [r[0] for r in rows]


def _actions(conn, rng: random.Random, n: int, page_ids: list[int], max_user: int) -> None:
    first = conn.execute("SELECT COALESCE(MAX(id), 0) FROM action").fetchone()[0] + 1
    stamps = _stamps(rng, n)
    types = dict(conn.execute("SELECT id, type FROM page").fetchall())  # Seeded page counts are small.
    rows = []
    for i in range(n):
        page = rng.choice(page_ids)
        rows.append((first + i, rng.randint(1, max_user), page, types.get(page, "Petition"), stamps[i], stamps[i]))
    conn.executemany(
        "INSERT INTO action (id, user_id, page_id, type, created_at, updated_at) VALUES (?,?,?,?,?,?)", rows
    )
    conn.executemany(
        "INSERT INTO actionfield (action_id, name, value) VALUES (?, 'comment', ?)",
        [(r[0], rng.choice(("yes", "no", "later"))) for r in rows],
    )


def _usergroups(conn, rng: random.Random, n: int, max_user: int) -> None:
    ts = db.now()
    first = conn.execute("SELECT COALESCE(MAX(id), 0) FROM usergroup").fetchone()[0] + 1
    conn.executemany(
        "INSERT INTO usergroup (id, name, created_at, updated_at) VALUES (?,?,?,?)",
        [(first + i, f"Seed group {first + i}", ts, ts) for i in range(n)],
    )
    members = {(first + rng.randrange(n), rng.randint(1, max_user)) for _ in range(min(max_user, 100_000))}
    conn.executemany(
        "INSERT OR IGNORE INTO usergroup_member (usergroup_id, user_id) VALUES (?, ?)",
        sorted(members) if max_user else [],
    )
