"""Similar-idea search, and the matching strings in every language."""

from __future__ import annotations

import pytest

from i18n import LANGUAGES, catalog, placeholders
from matching.similar import SimilarityIndex


def test_search_finds_inflected_forms_best_first() -> None:
    index = SimilarityIndex(
        [
            ("library", "Kirjastoon lisää lukupiirejä"),
            ("bikes", "Pyöräteitä Vallilaan"),
            ("kids", "Lasten lukupiiri kirjastossa"),
            ("sv", "Biblioteket behöver läsecirklar"),
        ]
    )
    hits = index.search("lukupiiri kirjastossa", k=2)
    assert [hit.id for hit in hits] == ["kids", "library"]
    assert hits[0].score >= hits[1].score > 0


def test_search_respects_k_and_min_score() -> None:
    index = SimilarityIndex([("a", "sauna uinti"), ("b", "sauna"), ("c", "kirjasto")])
    assert len(index.search("sauna", k=1)) == 1
    assert index.search("sauna", min_score=0.99)[0].id == "b"
    assert index.search("zyxw") == []
    assert SimilarityIndex([]).search("sauna") == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_matching_strings_exist_with_the_same_placeholders(language: str) -> None:
    english = {k: v for k, v in catalog("en").items() if k.startswith("matching.")}
    other = {k: v for k, v in catalog(language).items() if k.startswith("matching.")}
    assert set(other) == set(english)
    for key, text in english.items():
        assert placeholders(other[key]) == placeholders(text), key


def test_similarity_index_extends_without_refitting() -> None:
    from matching.similar import SimilarityIndex

    index = SimilarityIndex([("1", "tool library for residents"), ("2", "choir for seniors")])
    index.extend([("3", "library of tools lending drills")])
    assert len(index) == 3
    hits = index.search("lending tools from the library", k=2)
    assert hits[0].id in {"1", "3"} and {hit.id for hit in hits} <= {"1", "3"}


@pytest.mark.parametrize("dense_cells", [SimilarityIndex.DENSE_CELLS, 0])
def test_batch_search_finds_what_single_searches_find(
    dense_cells: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sweep's batch (dense product over its columns, or the sparse one when too large)
    gives each text the hits, scores and order, ties included, that ``search`` gives it."""
    monkeypatch.setattr(SimilarityIndex, "DENSE_CELLS", dense_cells)
    alike = "a shared workshop for repairing bicycles, open on weekday evenings"
    varied = [
        "community garden with raised beds",
        "bicycle repair cafe on saturdays",
        "library of tools to borrow",
        "pyöräkorjaamo kirjaston yhteydessä",
        "cykelverkstad för alla",
    ]
    ideas = [(str(n), alike) for n in range(1, 30)]  # identical: every score ties
    ideas += [(str(100 + n), text) for n, text in enumerate(varied)]
    index = SimilarityIndex(ideas[:10])
    index.extend(ideas[10:])
    texts = [alike, "repairing bicycles in the evening", *varied, "nothing alike at all"]
    batch = index.search_many(texts, k=13, min_score=0.2)
    assert batch == [index.search(text, k=13, min_score=0.2) for text in texts]
    assert [hit.id for hit in batch[0]] == [str(n) for n in range(1, 14)]
