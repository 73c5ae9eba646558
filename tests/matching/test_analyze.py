"""Text analysis of Finnish, Swedish and English."""

from __future__ import annotations

import numpy as np
import pytest

from matching.analyze import analyze, analyze_pool, detect_language, snowball_stemmer, tokenize
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


OTHER_LANGUAGE_TEXTS = {
    "German": (
        "Wir wünschen uns mehr Fahrradwege und eine bessere Beleuchtung im Park, damit die "
        "Kinder sicher zur Schule kommen können.",
        ["fahrradwege", "beleuchtung", "kinder", "schule"],
    ),
    "Russian": (
        "Нам нужно больше велосипедных дорожек и освещение в парке, чтобы дети безопасно "
        "ходили в школу.",
        ["велосипедных", "дорожек", "освещение", "школу"],
    ),
    "Estonian": (
        "Linnas on vaja rohkem jalgrattateid ja paremat valgustust pargis, et lapsed saaksid "
        "ohutult kooli minna, sest praegu on tänavad õhtuti pimedad.",
        ["jalgrattateid", "valgustust", "pargis", "lapsed", "tänavad"],
    ),
}


@pytest.mark.parametrize("name", OTHER_LANGUAGE_TEXTS)
def test_text_in_another_language_is_other_and_not_stemmed(name: str) -> None:
    text, words = OTHER_LANGUAGE_TEXTS[name]
    analyzed = analyze(text, normalizer=snowball_stemmer())
    assert analyzed.language == "other"
    # Its own words, as written: no Finnish (or other) stemmer touched them.
    assert analyzed.terms == analyzed.words
    assert set(words) <= set(analyzed.terms)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Rockyhtyeen oli tarkoitus kiertää USA:ta ja Kanadaa syyskuun 16. päivään asti.", "fi"),
        ("Pyöräteitä ja parempaa valaistusta puistoon, jotta lapset pääsevät kouluun.", "fi"),
        ("Vi behöver fler cykelvägar och bättre belysning i parken.", "sv"),
        ("We need more bike lanes and better lighting in the park.", "en"),
    ],
)
def test_fi_sv_en_texts_stay_themselves(text: str, language: str) -> None:
    assert analyze(text).language == language


def test_other_language_texts_meet_through_their_own_words() -> None:
    texts = [
        "Wir brauchen mehr Fahrradwege in der Stadt und sichere Fahrradständer.",
        "Die Fahrradwege in der Innenstadt sind zu schmal und die Fahrradständer fehlen.",
        "Die Bibliothek sollte am Sonntag geöffnet sein und mehr Bücher für Kinder haben.",
    ]
    vectors = TextVectorizer().fit_transform(texts)
    assert vectors.languages == ("other",) * 3
    similarity = (vectors.matrix @ vectors.matrix.T).toarray()
    assert similarity[0, 1] > similarity[0, 2]


def test_a_pool_is_analyzed_as_each_of_its_texts_alone() -> None:
    texts = [
        "Kirjastoon lisää lukupiirejä lapsille ja nuorille",
        "Vi vill att biblioteket har mer plats för unga",
        "We would like the library to have more room",
        "Wir wünschen uns mehr Fahrradwege im Park",
        "Хотим больше велосипедных дорожек в парке",
        "",
        "2024 1,5 €",
        "Kirjasto kirjastossa kirjastoon",
    ]
    for normalizer in (snowball_stemmer(), None):
        for stop_words in (True, False):
            pool = analyze_pool(texts, normalizer=normalizer, stop_words=stop_words)
            alone = [analyze(t, normalizer=normalizer, stop_words=stop_words) for t in texts]
            assert [pool.text(i) for i in range(len(texts))] == alone
    forced = analyze_pool(texts, "sv", snowball_stemmer())
    assert forced.languages == ("sv",) * len(texts)
    assert forced.text(1) == analyze(texts[1], "sv", snowball_stemmer())
