"""Text analysis of Finnish, Swedish and English."""

from __future__ import annotations

import numpy as np
import pytest

from matching.analyze import analyze, detect_language, snowball_stemmer, tokenize
from matching.vectorize import TextVectorizer, VectorizerConfig


@pytest.mark.parametrize(
    ("forms", "language"),
    [
        (["kirjasto", "kirjastossa", "kirjastoon", "kirjaston"], "fi"),
        (["bibliotek", "biblioteket", "biblioteken"], "sv"),
        (["library", "libraries"], "en"),
    ],
)
def test_inflected_forms_of_one_word_meet(forms: list[str], language: str) -> None:
    stems = {analyze(form, language, snowball_stemmer()).terms for form in forms}
    assert len(stems) == 1


@pytest.mark.parametrize(("first", "second"), [("sää", "saa"), ("työ", "tyo"), ("på", "pa")])
def test_letters_with_dots_and_rings_stay_apart(first: str, second: str) -> None:
    vectors = TextVectorizer().fit_transform([first, second, f"{first} {second}"]).matrix
    similarity = (vectors @ vectors.T).toarray()
    assert similarity[0, 1] < 0.5
    assert tokenize(first.upper()) == [first]


def test_inflections_make_texts_similar_in_every_language() -> None:
    texts = [
        "Uusi kirjasto Vallilaan",
        "Kirjastossa Vallilassa lukupiiri",
        "Pyöräteitä ja pysäköintiä",
        "Biblioteket i Vallgård",
        "Ett bibliotek för barnen",
        "Cykelvägar och parkering",
    ]
    matrix = TextVectorizer().fit_transform(texts).matrix
    similarity = (matrix @ matrix.T).toarray()
    np.fill_diagonal(similarity, 0)
    assert similarity[0].argmax() == 1
    assert similarity[3].argmax() == 4


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Toivomme että kirjastossa olisi enemmän tilaa nuorille", "fi"),
        ("Vi vill att biblioteket har mer plats för unga", "sv"),
        ("We would like the library to have more room for young people", "en"),
        ("Lämpimät pyöräparkit", "fi"),
        ("Gångväg över ån", "sv"),
    ],
)
def test_language_detection(text: str, language: str) -> None:
    assert detect_language(tokenize(text)) == language


def test_stop_words_of_the_detected_language_are_removed() -> None:
    analyzed = analyze("Me haluamme että puisto on kaikille avoin")
    assert analyzed.language == "fi"
    assert "että" not in analyzed.words
    assert "puisto" in analyzed.words


def test_words_only_and_tiny_pools_do_not_fail() -> None:
    vectorizer = TextVectorizer(VectorizerConfig(char_ngrams=None))
    vectors = vectorizer.fit_transform(["yksi", ""])
    assert vectors.matrix.shape[0] == 2
    assert vectors.matrix[1].nnz == 0
