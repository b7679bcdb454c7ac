"""The pure rules core: criteria matching, due dates, planning (no Flask, no database)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from academy.learning.rules import (
    RuleSpec,
    WorkerFacts,
    criteria_problems,
    due_date,
    matches,
    plan_assignments,
)

TODAY = date(2026, 3, 1)


def facts(**overrides) -> WorkerFacts:
    values = {"id": 1, "employment_type": "contract", "hire_date": TODAY - timedelta(days=10),
              "org_level": "village", "org_unit_codes": frozenset({"D", "S1", "V1"}),
              "post": "综合窗口", "status": "active"}
    return WorkerFacts(**{**values, **overrides})


def test_empty_criteria_match_everyone():
    assert matches({}, facts(), TODAY)


def test_each_criterion():
    worker = facts()
    assert matches({"employment_type": "contract"}, worker, TODAY)
    assert not matches({"employment_type": "civil_servant"}, worker, TODAY)
    assert matches({"employment_type": ["civil_servant", "contract"]}, worker, TODAY)
    assert matches({"org_level": "village"}, worker, TODAY)
    assert not matches({"org_level": "subdistrict"}, worker, TODAY)
    assert matches({"org_unit": "S1"}, worker, TODAY)  # an ancestor: the subtree
    assert not matches({"org_unit": "S2"}, worker, TODAY)
    assert matches({"post": "综合窗口"}, worker, TODAY)
    assert not matches({"post": "社保窗口"}, worker, TODAY)
    assert not matches({"post": "综合窗口"}, facts(post=None), TODAY)
    assert matches({"status": "active"}, worker, TODAY)
    assert not matches({"status": "active"}, facts(status="left"), TODAY)


def test_hired_within_days_counts_both_ends():
    assert matches({"hired_within_days": 10}, facts(), TODAY)
    assert not matches({"hired_within_days": 9}, facts(), TODAY)
    assert matches({"hired_within_days": 0}, facts(hire_date=TODAY), TODAY)
    assert not matches({"hired_within_days": "many"}, facts(), TODAY)


def test_all_criteria_must_hold_and_unknown_keys_never_match():
    assert not matches({"employment_type": "contract", "org_level": "district"}, facts(), TODAY)
    assert not matches({"favourite_colour": "blue"}, facts(), TODAY)
    assert matches({"post": "", "org_unit": None}, facts(), TODAY)  # empty: no restriction


def test_due_date_from_hire_or_assignment():
    hired = date(2026, 2, 1)
    assert due_date("hire", 30, hired, TODAY) == date(2026, 3, 3)
    assert due_date("assignment", 30, hired, TODAY) == date(2026, 3, 31)


def test_plan_skips_existing_leavers_and_duplicate_paths():
    rules = [RuleSpec(2, 10, {"employment_type": "contract"}, "assignment", 30),
             RuleSpec(1, 10, {}, "hire", 14),
             RuleSpec(3, 11, {"org_level": "district"}, "assignment", 7)]
    workers = [facts(id=1), facts(id=2), facts(id=3, status="left")]
    planned = plan_assignments(rules, workers, {(2, 10)}, TODAY)
    assert [(p.worker_id, p.path_id, p.rule_id) for p in planned] == [(1, 10, 1)]
    assert planned[0].due_date == workers[0].hire_date + timedelta(days=14)


def test_criteria_problems():
    assert criteria_problems({"employment_type": "contract", "hired_within_days": 3}) == []
    assert criteria_problems({"colour": 1, "hired_within_days": -1}) == [
        "unknown criterion 'colour'", "hired_within_days must not be negative"]


worker_facts = st.builds(
    WorkerFacts,
    id=st.integers(1, 40),
    employment_type=st.sampled_from(["contract", "civil_servant", "public_institution"]),
    hire_date=st.dates(date(2020, 1, 1), TODAY),
    org_level=st.sampled_from(["district", "subdistrict", "village"]),
    org_unit_codes=st.frozensets(st.sampled_from(["D", "S1", "S2", "V1", "V2"]), max_size=3),
    post=st.one_of(st.none(), st.sampled_from(["综合窗口", "社保窗口"])),
    status=st.sampled_from(["active", "left"]),
)
criteria = st.fixed_dictionaries({}, optional={
    "employment_type": st.sampled_from(["contract", "civil_servant"]),
    "hired_within_days": st.integers(0, 400),
    "org_level": st.sampled_from(["district", "subdistrict", "village"]),
    "org_unit": st.sampled_from(["D", "S1", "V2"]),
    "post": st.sampled_from(["综合窗口", "社保窗口"]),
    "status": st.just("active"),
})
rule_specs = st.lists(st.builds(RuleSpec, id=st.integers(1, 1000), path_id=st.integers(1, 4),
                                criteria=criteria, due_from=st.sampled_from(["hire", "assignment"]),
                                due_days=st.integers(0, 90)),
                      max_size=6, unique_by=lambda r: r.id)


@given(rule_specs, st.lists(worker_facts, max_size=30, unique_by=lambda w: w.id),
       st.sets(st.tuples(st.integers(1, 40), st.integers(1, 4)), max_size=20))
def test_applying_twice_creates_nothing_new(rules, workers, existing):
    first = plan_assignments(rules, workers, existing, TODAY)
    pairs = [(p.worker_id, p.path_id) for p in first]
    assert len(pairs) == len(set(pairs)), "one assignment per worker and path"
    assert not set(pairs) & existing, "never an assignment that exists"
    assert all(p.due_date >= date(2020, 1, 1) for p in first)
    by_id = {w.id: w for w in workers}
    for p in first:
        assert by_id[p.worker_id].status == "active"
        rule = next(r for r in rules if r.id == p.rule_id)
        assert matches(rule.criteria, by_id[p.worker_id], TODAY)
    assert plan_assignments(rules, workers, existing | set(pairs), TODAY) == []
