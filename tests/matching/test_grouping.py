"""Group formation: properties over generated pools, and the constraints one by one."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.grouping import form_groups, pairs_of
from matching.model import Anchor, Contribution, GroupingOptions, Participant
from matching.sizes import plan_sizes

TOPICS = [
    "pyörätie kaupunkipyörä pyöräily",
    "kirjasto lukupiiri kirjat",
    "puisto leikkipuisto puut",
    "uimahalli sauna uinti",
    "bibliotek läsecirkel böcker",
    "dog park fence dogs",
]
TYPES = ["city", "company", "association"]


def person(i: int, topic: int, kind: str | None = None, org: str | None = None) -> Participant:
    text = f"{TOPICS[topic % len(TOPICS)]} idea{i}"
    return Participant(f"p{i}", (Contribution(f"c{i}", text),), org)


@st.composite
def pools(draw: st.DrawFn) -> tuple[list[Participant], GroupingOptions]:
    n = draw(st.integers(0, 28))
    topics = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    orgs = draw(st.lists(st.sampled_from([*TYPES, None]), min_size=n, max_size=n))
    min_size = draw(st.integers(1, 4))
    max_size = draw(st.integers(min_size, 6))
    options = GroupingOptions(
        min_size=min_size,
        max_size=max_size,
        min_distinct_types=draw(st.integers(0, 3)),
        explain=False,
    )
    return [person(i, t, org=o) for i, (t, o) in enumerate(zip(topics, orgs, strict=True))], options


@settings(max_examples=40, deadline=None)
@given(pools(), st.integers(0, 3))
def test_everyone_placed_once_sizes_in_bounds_or_reported(pool, seed: int) -> None:  # type: ignore[no-untyped-def]
    participants, options = pool
    result = form_groups(participants, options, seed=seed)
    placed = [m for g in result.groups for m in g.member_ids]
    assert sorted(placed) == sorted(p.id for p in participants)
    out_of_bounds = [
        g for g in result.groups if not options.min_size <= len(g.member_ids) <= options.max_size
    ]
    codes = {issue.code for issue in result.issues}
    if out_of_bounds:
        assert codes & {"pool_too_small", "sizes_infeasible"}
    sizes = plan_sizes(len(participants), options.min_size, options.max_size, 4)
    if sizes.problem is None:
        assert not out_of_bounds


@settings(max_examples=30, deadline=None)
@given(pools(), st.integers(0, 3))
def test_diversity_holds_or_is_reported(pool, seed: int) -> None:  # type: ignore[no-untyped-def]
    participants, options = pool
    result = form_groups(participants, options, seed=seed)
    types = {p.id: p.organisation_type for p in participants}
    reported = {
        frozenset(issue.participant_ids)
        for issue in result.issues
        if issue.code == "diversity_unmet"
    }
    unavailable = any(issue.code == "diversity_unavailable" for issue in result.issues)
    # Nobody has a type: diversity was not asked for, and nothing is reported.
    untyped = all(p.organisation_type is None for p in participants)
    for group in result.groups:
        distinct = {types[m] for m in group.member_ids} - {None}
        if options.min_distinct_types > 1 and len(distinct) < options.min_distinct_types:
            assert untyped or unavailable or frozenset(group.member_ids) in reported


@settings(max_examples=25, deadline=None)
@given(pools(), st.integers(0, 5))
def test_same_seed_same_result(pool, seed: int) -> None:  # type: ignore[no-untyped-def]
    participants, options = pool
    first = form_groups(participants, options, seed=seed)
    second = form_groups(participants, options, seed=seed)
    assert [g.member_ids for g in first.groups] == [g.member_ids for g in second.groups]


def test_related_people_are_grouped_together() -> None:
    participants = [person(i, i % 4) for i in range(16)]
    result = form_groups(participants, GroupingOptions(min_size=4, max_size=4))
    for group in result.groups:
        assert len({int(m[1:]) % 4 for m in group.member_ids}) == 1
    assert result.cohesion > 2 * result.random_cohesion


def test_past_pairs_do_not_meet_again_when_avoidable() -> None:
    # Round one groups by topic; round two can still mix everyone (one of each topic per group).
    participants = [person(i, i % 4) for i in range(16)]
    options = GroupingOptions(min_size=4, max_size=4, min_distinct_types=0)
    first = form_groups(participants, options)
    past = [tuple(sorted(pair)) for pair in pairs_of(first.groups)]
    second = form_groups(participants, options, past_pairs=past)  # type: ignore[arg-type]
    assert not pairs_of(first.groups) & pairs_of(second.groups)
    assert not [issue for issue in second.issues if issue.code == "pair_together"]


def test_unavoidable_pair_is_reported() -> None:
    participants = [person(i, 0) for i in range(3)]
    result = form_groups(
        participants, GroupingOptions(min_size=3, max_size=3), avoid_pairs=[("p0", "p1")]
    )
    issue = next(issue for issue in result.issues if issue.code == "pair_together")
    assert set(issue.participant_ids) == {"p0", "p1"}


def test_diversity_requires_two_types_per_group() -> None:
    # Topics and organisations line up, so similarity alone would make single-type groups.
    participants = [person(i, i % 2, org=TYPES[i % 2]) for i in range(12)]
    result = form_groups(participants, GroupingOptions(min_size=4, max_size=4))
    types = {p.id: p.organisation_type for p in participants}
    for group in result.groups:
        assert len({types[m] for m in group.member_ids}) >= 2
    assert not result.issues


def test_too_few_types_is_reported_once() -> None:
    participants = [person(i, 0, org="city") for i in range(6)]
    result = form_groups(participants, GroupingOptions(min_size=3, max_size=3))
    assert [issue.code for issue in result.issues] == ["diversity_unavailable"]


def test_tiny_pool_forms_one_group_and_says_so() -> None:
    result = form_groups([person(0, 0), person(1, 0)], GroupingOptions())
    assert [g.member_ids for g in result.groups] == [("p0", "p1")]
    issue = result.issues[0]
    assert issue.code == "pool_too_small"
    assert issue.params["min_size"] == 3


def test_empty_pool() -> None:
    result = form_groups([], GroupingOptions())
    assert result.groups == () and result.issues == ()


def test_anchors_pull_their_group_and_keep_their_author() -> None:
    # Topics by i % 3: 0 cycling, 1 library, 2 park. p0 (cycling) wrote the park need.
    participants = [person(i, i % 3) for i in range(9)]
    anchors = [
        Anchor("a-park", "puisto ja puut", participant_id="p0"),
        Anchor("a-library", "kirjasto ja lukupiiri"),
        Anchor("a-bike", "pyöräily pyörätie"),
    ]
    result = form_groups(participants, GroupingOptions(min_size=3, max_size=3), anchors=anchors)
    by_anchor = {g.anchor_id: set(g.member_ids) for g in result.groups}
    assert "p0" in by_anchor["a-park"]
    assert by_anchor["a-library"] == {"p1", "p4", "p7"}
    assert {"p3", "p6"} <= by_anchor["a-bike"]


def test_a_need_finds_the_idea_that_answers_it() -> None:
    # Both others share the asker's words equally; only the kinds tell them apart.
    need = Participant("asker", (Contribution("n", "Lukupiiri kirjastoon", "need"),))
    ideas = [
        Participant("idea", (Contribution("i", "Lukupiiri kirjastoon viikoittain", "idea"),)),
        Participant("same-need", (Contribution("n2", "Lukupiiri kirjastoon nuorille", "need"),)),
    ]
    from matching.similarity import KindWeights

    options = GroupingOptions(min_size=2, max_size=2, kind_weights=KindWeights(1.0, 0.5))
    result = form_groups([need, *ideas, person(9, 3)], options)
    together = next(g for g in result.groups if "asker" in g.member_ids)
    assert set(together.member_ids) == {"asker", "idea"}


def test_explanations_use_words_people_wrote_and_name_each_tie() -> None:
    participants = [
        Participant("a", (Contribution("a1", "Kirjastoon lukupiiri"), Contribution("a2", "Sauna"))),
        Participant("b", (Contribution("b1", "Lukupiiri kirjastossa"),)),
        Participant("c", (Contribution("c1", "Kirjaston lukupiiri lapsille"),)),
    ]
    result = form_groups(participants, GroupingOptions(min_size=3, max_size=3))
    group = result.groups[0]
    assert "lukupiiri" in group.key_terms
    assert all(
        term in {"kirjastoon", "kirjastossa", "kirjaston", "lukupiiri"} for term in group.key_terms
    )
    assert group.ties["a"].contribution_id == "a1"
    assert set(group.ties) == {"a", "b", "c"}


def test_many_contributions_per_person_still_one_place_each() -> None:
    participants = [
        Participant(
            f"p{i}", tuple(Contribution(f"c{i}-{j}", TOPICS[(i + j) % 6]) for j in range(3))
        )
        for i in range(10)
    ]
    result = form_groups(participants, GroupingOptions(min_size=3, max_size=4))
    placed = [m for g in result.groups for m in g.member_ids]
    assert sorted(placed) == sorted(p.id for p in participants)
    for group in result.groups:
        assert len(list(combinations(group.member_ids, 2))) >= 3


def test_key_terms_leave_out_words_without_a_topic() -> None:
    from matching.grouping import form_groups
    from matching.model import Contribution, GroupingOptions, Participant

    texts = [
        "We need volunteers for the library book club every week",
        "The library book club needs a new reading room every week",
        "A book club at the library, we need more readers",
    ]
    people = [
        Participant(str(i), (Contribution(str(i), text),), organisation_type="city")
        for i, text in enumerate(texts)
    ]
    [group] = form_groups(
        people, GroupingOptions(min_size=3, max_size=3, min_distinct_types=0)
    ).groups
    terms = {term.casefold() for term in group.key_terms}
    assert {"library", "book", "club"} & terms
    assert not {"need", "needs", "week"} & terms


def test_anchored_rounds_keep_the_no_repeat_rule() -> None:
    # Everyone on one topic, so the anchors pull hard; recent pairs must still not meet.
    participants = [person(i, 0) for i in range(9)]
    anchors = [
        Anchor("a1", "pyörätie pyöräily", participant_id="p0"),
        Anchor("a2", "kaupunkipyörä pyörätie", participant_id="p1"),
        Anchor("a3", "pyöräily kaupunkipyörä", participant_id="p2"),
    ]
    past = [("p0", f"p{i}") for i in range(3, 6)] + [("p1", f"p{i}") for i in range(6, 9)]
    options = GroupingOptions(min_size=3, max_size=3)
    result = form_groups(participants, options, anchors=anchors, past_pairs=past)
    together = pairs_of(result.groups)
    assert not any(frozenset(pair) in together for pair in past)
    assert not [issue for issue in result.issues if issue.code == "pair_together"]
    by_anchor = {g.anchor_id: g.member_ids for g in result.groups}
    assert "p0" in by_anchor["a1"] and "p1" in by_anchor["a2"] and "p2" in by_anchor["a3"]


def test_unused_anchors_are_named_by_their_text() -> None:
    participants = [person(i, i % 2) for i in range(6)]
    anchors = [
        Anchor("101", "pyörätie Vallilaan"),
        Anchor("102", "kirjasto ja lukupiiri"),
        Anchor("103", "Uimahalli auki myös sunnuntaisin, koska perheillä on silloin aikaa " * 2),
    ]
    result = form_groups(participants, GroupingOptions(min_size=3, max_size=3), anchors=anchors)
    [dropped] = [issue for issue in result.issues if issue.code == "anchors_dropped"]
    named = str(dropped.params["anchors"])
    assert named.startswith("“Uimahalli auki myös sunnuntaisin") and named.endswith("…”")
    assert "103" not in named and len(named) <= 64
