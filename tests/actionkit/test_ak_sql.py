"""``POST /rest/v1/report/run/sql/``: SELECTs over ActionKit's table names, read-only, cached unless ``refresh``."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sandbox(ak_sandbox):
    ak_sandbox.reset()
    ak_sandbox.seed(users=20, pages=3, actions=30, usergroups=2)
    yield ak_sandbox
    ak_sandbox.reset()


def run(sandbox, query: str, **body) -> requests.Response:
    return requests.post(
        f"{sandbox.base_url}/rest/v1/report/run/sql/",
        json={"query": query, **body},
        auth=(sandbox.username, sandbox.password),
        timeout=10,
    )


def rows(sandbox, query: str, **body) -> list[list]:
    response = run(sandbox, query, refresh=True, **body)
    assert response.status_code == 200, response.text
    return response.json()


def test_it_answers_rows_of_column_values(sandbox):
    assert rows(sandbox, "SELECT COUNT(*) FROM core_user") == [[20]]
    [[email, status]] = rows(sandbox, "SELECT email, subscription_status FROM core_user ORDER BY id LIMIT 1")
    assert email.endswith("@example.org") and status in ("subscribed", "unsubscribed", "bounced", "never")


def test_it_names_tables_and_columns_as_actionkit_does(sandbox, ak_client):
    [[user_id, field_count]] = rows(
        sandbox,
        "SELECT u.id, COUNT(f.id) FROM core_user u JOIN core_userfield f ON f.parent_id = u.id "
        "GROUP BY u.id ORDER BY u.id LIMIT 1",
    )
    assert field_count == len(ak_client.user_field_values(user_id))
    phones = rows(sandbox, "SELECT normalized_phone FROM core_phone WHERE user_id = {{ user }}", user=user_id)
    assert sorted(p for [p] in phones) == sorted(p["normalized_phone"] for p in ak_client.user_phones(user_id))
    [[actions]] = rows(sandbox, "SELECT COUNT(*) FROM core_action a JOIN core_page p ON p.id = a.page_id")
    assert actions == 30
    [[group_id]] = rows(sandbox, "SELECT id FROM core_usergroup ORDER BY id LIMIT 1")
    ak_client.usergroup_add_user(group_id, user_id)
    members = rows(sandbox, "SELECT user_id FROM core_user_groups WHERE usergroup_id = {{ g }}", g=group_id)
    assert [user_id] in members and sorted(m for [m] in members) == sorted(ak_client.usergroup_member_ids(group_id))


def test_it_binds_parameters_and_expands_lists(sandbox):
    emails = ["seed1@example.org", "seed2@example.org"]
    found = rows(sandbox, "SELECT email FROM core_user WHERE email IN ({{ emails }}) ORDER BY email", emails=emails)
    assert found == [[e] for e in emails]
    # A value is bound, never spliced into the SQL.
    assert rows(sandbox, "SELECT COUNT(*) FROM core_user WHERE email = {{ e }}", e="x' OR '1'='1") == [[0]]


def test_it_serves_cached_results_until_refresh(sandbox):
    query = "SELECT COUNT(*) FROM core_user -- cache test"
    assert run(sandbox, query, refresh=True).json() == [[20]]
    sandbox.create_user("cached@example.org")
    assert run(sandbox, query).json() == [[20]]  # Still the cached answer, as ActionKit caches reports.
    assert run(sandbox, query, refresh=True).json() == [[21]]
    assert run(sandbox, query, cache_duration=0).json() == [[21]]


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM core_user",
        "UPDATE core_user SET email = 'x'",
        "INSERT INTO core_usergroup (name) VALUES ('x')",
        "DROP VIEW core_user",
        "PRAGMA table_info(user)",
        "ATTACH DATABASE 'x' AS y",
        "SELECT * FROM staff",
        "SELECT * FROM user",
        "SELECT name FROM sqlite_master",
        "SELECT (SELECT password FROM staff) FROM core_user",
        "WITH s AS (SELECT * FROM staff) SELECT * FROM s",
        "SELECT 1; DELETE FROM core_user",
        "SELECT * FROM core_nosuchtable",
        "SELECT {{ missing }}",
        "",
    ],
)
def test_it_refuses_anything_but_a_select_over_actionkit_tables(sandbox, query):
    response = run(sandbox, query, refresh=True)
    assert response.status_code == 400 and "error" in response.json()
    assert rows(sandbox, "SELECT COUNT(*) FROM core_user")[0][0] >= 20


def test_it_needs_credentials_and_post(sandbox):
    url = f"{sandbox.base_url}/rest/v1/report/run/sql/"
    assert requests.post(url, json={"query": "SELECT 1"}, timeout=5).status_code == 401
    assert requests.get(url, auth=(sandbox.username, sandbox.password), timeout=5).status_code == 405


def test_it_answers_401_when_the_staff_account_may_not_run_reports(sandbox):
    sandbox.quirk("forbidden_resources", resources=["report"])
    try:
        response = run(sandbox, "SELECT 1")
        assert response.status_code == 401 and "WWW-Authenticate" not in response.headers
    finally:
        sandbox.quirks_off()


def test_the_clients_sql_membership_read_pages_through_and_matches_the_rest_read(ak_sandbox, ak_client):
    ak_sandbox.reset()
    ak_sandbox.seed(users=400, usergroups=1)  # About 250 members: three LIMIT/OFFSET pages of 100.
    [group] = list(ak_client.usergroups())
    by_sql = list(ak_client.usergroup_member_ids(group["id"], via_sql=True))
    assert len(by_sql) > 200 and by_sql == sorted(set(by_sql))
    assert set(by_sql) == set(ak_client.usergroup_member_ids(group["id"]))
