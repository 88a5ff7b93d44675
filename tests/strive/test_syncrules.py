"""The six sync options and opt-in parsing, table-driven. Pure functions: no database."""

import itertools

import pytest

from strive.syncrules import (
    EMAIL_OPTIONS,
    Side,
    SyncOption,
    field_resolve,
    ineligible_reason,
    opt_in_format,
    opt_in_parse,
    opt_in_resolve,
)

Opt = SyncOption
S, A = Side.STRIVE, Side.AK

# Value pairs (strive, ak): every combination of empty, equal and different on each side.
PAIRS = {"both empty": ("", ""), "strive only": ("x", ""), "ak only": ("", "y"), "equal": ("x", "x"),
         "different": ("x", "y")}

# Expected (strive after, ak after) per option and pair, for a change made on Strive's side and on ActionKit's side.
# Written out in full from the article's definitions so a wrong rule cannot hide behind a helper.
EXPECTED = {
    Opt.ONE_WAY_OVERWRITE_AK: {  # Strive overwrites ActionKit; ActionKit never changes Strive.
        "both empty": {S: ("", ""), A: ("", "")}, "strive only": {S: ("x", "x"), A: ("x", "x")},
        "ak only": {S: ("", "y"), A: ("", "y")}, "equal": {S: ("x", "x"), A: ("x", "x")},
        "different": {S: ("x", "x"), A: ("x", "x")}},
    Opt.ONE_WAY_OVERWRITE_STRIVE: {  # ActionKit overwrites Strive; Strive never changes ActionKit.
        "both empty": {S: ("", ""), A: ("", "")}, "strive only": {S: ("x", ""), A: ("x", "")},
        "ak only": {S: ("y", "y"), A: ("y", "y")}, "equal": {S: ("x", "x"), A: ("x", "x")},
        "different": {S: ("y", "y"), A: ("y", "y")}},
    Opt.POPULATE_NO_OVERWRITE: {  # Both fill empty fields; neither overwrites.
        "both empty": {S: ("", ""), A: ("", "")}, "strive only": {S: ("x", "x"), A: ("x", "x")},
        "ak only": {S: ("y", "y"), A: ("y", "y")}, "equal": {S: ("x", "x"), A: ("x", "x")},
        "different": {S: ("x", "y"), A: ("x", "y")}},
    Opt.POPULATE_OVERWRITE_AK: {  # ActionKit fills Strive's empty fields; Strive overwrites ActionKit.
        "both empty": {S: ("", ""), A: ("", "")}, "strive only": {S: ("x", "x"), A: ("x", "x")},
        "ak only": {S: ("y", "y"), A: ("y", "y")}, "equal": {S: ("x", "x"), A: ("x", "x")},
        "different": {S: ("x", "x"), A: ("x", "x")}},
    Opt.POPULATE_OVERWRITE_STRIVE: {  # Strive fills ActionKit's empty fields; ActionKit overwrites Strive.
        "both empty": {S: ("", ""), A: ("", "")}, "strive only": {S: ("x", "x"), A: ("x", "x")},
        "ak only": {S: ("y", "y"), A: ("y", "y")}, "equal": {S: ("x", "x"), A: ("x", "x")},
        "different": {S: ("y", "y"), A: ("y", "y")}},
    Opt.TWO_WAY: {  # Both directions; the side that changed overwrites the other.
        "both empty": {S: ("", ""), A: ("", "")}, "strive only": {S: ("x", "x"), A: ("x", "x")},
        "ak only": {S: ("y", "y"), A: ("y", "y")}, "equal": {S: ("x", "x"), A: ("x", "x")},
        "different": {S: ("x", "x"), A: ("y", "y")}},
}

CASES = [(option, pair, side) for option, pair, side in itertools.product(SyncOption, PAIRS, (S, A))]


def test_the_table_covers_every_option_pair_and_side():
    assert {(o, p, s) for o in EXPECTED for p in EXPECTED[o] for s in EXPECTED[o][p]} == set(CASES)


@pytest.mark.parametrize(("option", "pair", "changed"), CASES, ids=[f"{o.value}-{p}-{s.value}" for o, p, s in CASES])
def test_field_resolve(option, pair, changed):
    strive, ak = PAIRS[pair]
    result = field_resolve(option, strive=strive, ak=ak, changed=changed)
    assert (result.strive, result.ak) == EXPECTED[option][pair][changed]


def test_whitespace_and_none_count_as_empty():
    assert field_resolve(Opt.POPULATE_NO_OVERWRITE, strive=None, ak="  y ", changed=A) == field_resolve(
        Opt.POPULATE_NO_OVERWRITE, strive="", ak="y", changed=A)


def test_email_only_allows_populate_or_one_way():
    assert set(EMAIL_OPTIONS) == {Opt.POPULATE_NO_OVERWRITE, Opt.ONE_WAY_OVERWRITE_STRIVE}


@pytest.mark.parametrize(("raw", "expected"), [
    ("t", True), ("T", True), ("true", True), ("TRUE", True), ("1", True), ("opt in", True), ("Opt In", True),
    ("opt-in", True), ("OPT-IN", True), ("y", True), ("Y", True), ("yes", True), ("Yes", True), (" yes ", True),
    ("f", False), ("False", False), ("0", False), ("n", False), ("No", False), ("opt out", False), ("opt-out", False),
    ("TBD", None), ("", None), (None, None), ("maybe", None), ("yess", None), ("2", None), ("subscribed", None),
])
def test_opt_in_parse(raw, expected):
    assert opt_in_parse(raw) is expected


def test_pushes_write_true_or_false():
    assert (opt_in_format(True), opt_in_format(False)) == ("true", "false")


@pytest.mark.parametrize(("member", "ak_raw", "last", "first", "expected_member", "expected_write"), [
    # First sync: the member's known value wins and is written back; an unknown member takes a recognized AK value.
    (False, "yes", "", True, False, "false"),
    (True, "no", "", True, True, "true"),
    (True, "TBD", "", True, True, "true"),
    (None, "yes", "", True, True, None),
    (None, "TBD", "", True, None, None),
    (True, "Y", "", True, True, None),
    # Later: a recognized change in ActionKit updates the member; an unrecognized one never does.
    (True, "no", "true", False, False, None),
    (True, "maybe", "true", False, True, None),
    (False, "", "false", False, False, None),
    # Later: our change that ActionKit does not have yet is pushed.
    (False, "true", "true", False, False, "false"),
    (True, "TBD", "", False, True, "true"),
    (True, "true", "true", False, True, None),
])
def test_opt_in_resolve(member, ak_raw, last, first, expected_member, expected_write):
    result = opt_in_resolve(member=member, ak_raw=ak_raw, last=last, first_sync=first)
    assert (result.member, result.write_ak) == (expected_member, expected_write)


@pytest.mark.parametrize(("phone", "opt_in", "eligible"), [
    ("+12025550101", "yes", True), ("+12025550101", "TBD", True), ("+12025550101", "", False),
    ("+12025550101", None, False), (None, "yes", False), ("", "no", False),
])
def test_eligibility_needs_a_phone_and_an_opt_in_value(phone, opt_in, eligible):
    assert (ineligible_reason(phone=phone, opt_in_raw=opt_in) == "") is eligible
