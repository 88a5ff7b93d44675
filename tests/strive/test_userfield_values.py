"""Userfields as ActionKit sends them: one value, none, or a list of values for a multi-valued field."""

import pytest

from strive.services.values import user_snapshot, userfield_text


@pytest.mark.parametrize("value, text", [(None, ""), ("yes", "yes"), (3, "3"), (["a", "b"], "a, b"),
                                         (["a", "a", None, ""], "a"), ([], "")])
def test_a_userfield_reads_as_plain_text(value, text):
    assert userfield_text(value) == text


def test_a_multi_valued_userfield_never_becomes_a_python_list_literal():
    snapshot = user_snapshot({"email": "a@example.org", "fields": {"issues": ["climate", "housing"], "sms_opt_in": None}})
    assert snapshot["fields"] == {"issues": "climate, housing", "sms_opt_in": ""}
    assert "[" not in repr(snapshot["fields"]["issues"])
