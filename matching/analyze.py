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
from itertools import chain, repeat

import numpy as np

from matching.arrays import in_order_of_appearance
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


@dataclass(frozen=True)
class PoolAnalysis:
    """A pool of texts after analysis, as arrays over the kept tokens of all texts in order.

    ``words`` and ``terms`` list the distinct surface words and base forms in order of first
    occurrence; token i of the pool is ``words[word_ids[i]]``, its base form
    ``terms[term_ids[i]]``, and it belongs to text ``text_ids[i]`` (never decreasing).
    """

    languages: tuple[str, ...]
    text_ids: np.ndarray
    word_ids: np.ndarray
    term_ids: np.ndarray
    words: list[str]
    terms: list[str]

    def text(self, index: int) -> AnalyzedText:
        """Text ``index`` on its own."""
        start, stop = np.searchsorted(self.text_ids, [index, index + 1])
        words = tuple(self.words[i] for i in self.word_ids[start:stop].tolist())
        terms = tuple(self.terms[i] for i in self.term_ids[start:stop].tolist())
        return AnalyzedText(language=self.languages[index], words=words, terms=terms)


def analyze_pool(
    texts: Sequence[str],
    language: str | None = None,
    normalizer: Normalizer | None = None,
    stop_words: bool = True,
) -> PoolAnalysis:
    """Tokenize every text, detect its language unless given, drop stop words, normalize words.

    Words are looked up once per pool, not once per occurrence: stop words by language over
    the pool's vocabulary, base forms once per distinct (word, language).
    """
    tokens = [tokenize(text) for text in texts]
    languages = tuple(language or detect_language(words) for words in tokens)
    flat = list(chain.from_iterable(tokens))
    index = {word: i for i, word in enumerate(dict.fromkeys(flat))}
    vocabulary = list(index)
    word_ids = np.fromiter(map(index.__getitem__, flat), dtype=np.int64, count=len(flat))
    codes = {name: code for code, name in enumerate(dict.fromkeys(languages))}
    token_codes = np.repeat(
        np.fromiter(map(codes.__getitem__, languages), dtype=np.int64, count=len(languages)),
        np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens)),
    )
    stop = np.zeros((len(codes), len(vocabulary)), dtype=bool)
    for name, code in codes.items():
        listed = _stop_words(name) if stop_words else frozenset()
        stop[code, [index[word] for word in listed if word in index]] = True
    kept = ~stop[token_codes, word_ids]
    text_ids = np.repeat(np.arange(len(texts)), [len(words) for words in tokens])[kept]
    word_ids, token_codes = word_ids[kept], token_codes[kept]
    base, base_ids = _base_forms(vocabulary, word_ids, token_codes, codes, normalizer)
    kept_words, word_ids = in_order_of_appearance(word_ids)
    terms, term_ids = in_order_of_appearance(base_ids)
    return PoolAnalysis(
        languages=languages,
        text_ids=text_ids,
        word_ids=word_ids,
        term_ids=term_ids,
        words=[vocabulary[i] for i in kept_words.tolist()],
        terms=[base[i] for i in terms.tolist()],
    )


def _stop_words(language: str) -> frozenset[str]:
    return STOP_WORDS.get(language, OTHER_STOP_WORDS if language == OTHER else frozenset())


def _base_forms(
    vocabulary: list[str],
    word_ids: np.ndarray,
    token_codes: np.ndarray,
    codes: dict[str, int],
    normalizer: Normalizer | None,
) -> tuple[list[str], np.ndarray]:
    """The distinct base forms, and each token's: a word's own in "other" texts or unnormalized."""
    forms: dict[str, int] = {}
    form_of = np.zeros((len(codes), len(vocabulary)), dtype=np.int64)
    for name, code in codes.items():
        present = np.unique(word_ids[token_codes == code]).tolist()
        words = [vocabulary[i] for i in present]
        if normalizer is not None and name in LANGUAGES:
            words = [normalizer(word, name) for word in words]
        form_of[code, present] = [forms.setdefault(word, len(forms)) for word in words]
    return list(forms), form_of[token_codes, word_ids]


def analyze(
    text: str,
    language: str | None = None,
    normalizer: Normalizer | None = None,
    stop_words: bool = True,
) -> AnalyzedText:
    """``analyze_pool`` for one text, without its arrays: 50 µs rather than 200 (``/idea``
    stores each idea's stems before its ack)."""
    words = tokenize(text)
    language = language or detect_language(words)
    stop = _stop_words(language) if stop_words else frozenset()
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
