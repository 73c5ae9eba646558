"""Text analysis for a pool that mixes Finnish, Swedish and English, and other languages.

Each text is tokenized, its language guessed from its function words, stop words of that
language removed, and the remaining words optionally reduced to a base form. A text in another
language (German, Estonian, Russian, Somali...) is detected as ``"other"``: it gets no fi/sv/en
stemming or stop words (a Finnish stemmer would only mangle German words), only its own
function words are dropped, and its words and character n-grams carry it. Case is folded but
accents are kept: ä/ö/å are letters of their own in Finnish and Swedish (``sää`` weather vs.
``saa`` gets, ``työ`` work vs. ``tyo``), so ``strip_accents`` would merge different words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import repeat

from matching.stopwords import OTHER_FUNCTION_WORDS, OTHER_STOP_WORDS, STOP_WORDS

LANGUAGES: tuple[str, ...] = ("fi", "sv", "en")
OTHER = "other"
FALLBACK_LANGUAGE = "fi"
# The last letter of the Latin blocks (Latin-1, Extended-A and -B): words with letters beyond
# are in another script (Cyrillic, Arabic, ...), which none of fi/sv/en uses.
_LATIN_MAX = "\u024f"
# Letters that fi/sv/en do not use, and which languages they point to.
_OTHER_LETTERS: dict[str, tuple[str, ...]] = {"õ": ("et",), "ß": ("de",), "ü": ("de", "et")}

# Letters only: digits (years, budgets, street numbers) say little about a topic.
_WORD = re.compile(r"[^\W\d_]{2,}")

# Word endings that are frequent in one language and rare in the others; they decide texts that
# have no function word at all (titles, keyword lists).
_ENDINGS: dict[str, tuple[str, ...]] = {
    "fi": ("ssa", "ssä", "sta", "stä", "lla", "llä", "lle", "ksi", "inen", "ttä", "aan", "ään"),
    "sv": ("arna", "erna", "orna", "heten", "ning", "ligt", "ande", "ende"),
    "en": ("ing", "tion", "ness", "ed", "ly"),
}

Normalizer = Callable[[str, str], str]
"""Maps (word, language) to the word's base form."""


@dataclass(frozen=True)
class AnalyzedText:
    """One text after analysis; ``terms[i]`` is the base form of ``words[i]``."""

    language: str
    words: tuple[str, ...]
    terms: tuple[str, ...]


def tokenize(text: str) -> list[str]:
    """Lower-case words of two letters or more."""
    return _WORD.findall(text.lower())


def detect_language(words: Sequence[str]) -> str:
    """The likeliest of fi/sv/en for lower-case ``words``, or ``"other"``.

    By script first (most words not in Latin letters: other), then by distinct function words
    of fi/sv/en against those of a few other languages, then by word endings and letters.
    """
    if not words:
        return FALLBACK_LANGUAGE
    joined = "".join(words)
    # One max() over the whole text (in C) spares the per-word count for Latin-only texts.
    if max(joined) > _LATIN_MAX and 2 * sum(max(w) > _LATIN_MAX for w in words) > len(words):
        return OTHER
    # Distinct function words, by set intersection: it runs on every text, so it stays in C.
    distinct = set(words)
    scores = {lang: float(len(STOP_WORDS[lang] & distinct)) for lang in LANGUAGES}
    ours = max(scores.values())
    # An upper bound first (one intersection): most texts cannot be "other", and skip the rest.
    bound = len(OTHER_STOP_WORDS & distinct) + sum(letter in joined for letter in _OTHER_LETTERS)
    if bound > ours and _other_score(distinct, joined) > ours:
        return OTHER
    if not any(scores.values()):
        for lang in LANGUAGES:
            scores[lang] = 0.3 * sum(word.endswith(_ENDINGS[lang]) for word in words)
    scores["sv"] += joined.count("å")
    # Both Finnish and Swedish use ä/ö; English does not, and Finnish uses them more.
    dotted = joined.count("ä") + joined.count("ö")
    scores["fi"] += 0.2 * dotted
    scores["sv"] += 0.1 * dotted
    best = max(LANGUAGES, key=lambda lang: scores[lang])
    return best if scores[best] > 0 else FALLBACK_LANGUAGE


def _other_score(distinct: set[str], joined: str) -> float:
    """The best evidence for one of the other languages: its function words and letters."""
    scores = {lang: float(len(found & distinct)) for lang, found in OTHER_FUNCTION_WORDS.items()}
    for letter, languages in _OTHER_LETTERS.items():
        if letter in joined:
            for lang in languages:
                scores[lang] += 1.0
    # Estonian shares much with Finnish but writes no y (Finnish: yhteinen, työ, kyllä).
    scores["et"] -= 0.5 * joined.count("y")
    return max(scores.values())


def analyze(
    text: str,
    language: str | None = None,
    normalizer: Normalizer | None = None,
    stop_words: bool = True,
) -> AnalyzedText:
    """Tokenize ``text``, detect its language unless given, drop stop words, normalize words."""
    words = tokenize(text)
    language = language or detect_language(words)
    if not stop_words:
        stop: frozenset[str] = frozenset()
    else:
        stop = STOP_WORDS.get(language, OTHER_STOP_WORDS if language == OTHER else frozenset())
    kept = tuple(word for word in words if word not in stop)
    if normalizer is None or language not in LANGUAGES:
        terms = kept
    else:
        terms = tuple(map(normalizer, kept, repeat(language)))
    return AnalyzedText(language=language, words=kept, terms=terms)


@cache
def lemmatizer() -> Normalizer:
    """simplemma's dictionary lemmatizer, restricted to fi/sv/en, with a cache per word.

    Loading the Finnish dictionary takes seconds and ~0.4 GB, so it is loaded on first use only.
    """
    import simplemma

    @cache
    def lemma(word: str, language: str) -> str:
        return str(simplemma.lemmatize(word, lang=language)).lower()

    return lemma


@cache
def snowball_stemmer() -> Normalizer:
    """Snowball stemmers for fi/sv/en, with a cache per word."""
    import snowballstemmer

    names = {"fi": "finnish", "sv": "swedish", "en": "english"}
    stemmers = {language: snowballstemmer.stemmer(name) for language, name in names.items()}

    @cache
    def stem(word: str, language: str) -> str:
        return str(stemmers[language].stemWord(word))

    return stem
