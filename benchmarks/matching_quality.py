"""Pair precision of the matching engine on the labelled data in ../shared/data.

Pair precision: of all pairs of people placed in one group, the share with the same label.
Compared with random grouping and with a plain reference (sublinear TF-IDF on raw words; in
random order, each unplaced person takes their nearest unplaced neighbours), computed in the
same run. One row = one person; the engine runs through ``collider match-csv``'s own function
(``matching.csv_match.match_csv``, in process) with ``--min-size 4 --max-size 4``.

Besides the files, two pools are built from them (never written into the repository):
- *long text*: SIB-200 sentences of one topic concatenated six at a time into one document
  (about 130 words), mixed with single sentences (about 20 words) in one pool;
- *mixed fi/sv/en*: each SIB-200 sentence in only one of its three translations, topic as label.

    .venv/bin/python -m benchmarks.matching_quality [--variants]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from benchmarks.common import Row, data_files, read_rows
from matching.analyze import analyze
from matching.csv_match import CsvMatchOptions, match_csv
from matching.grouping import form_groups
from matching.model import Contribution, GroupingOptions, Participant
from matching.vectorize import VectorizerConfig

GROUP_SIZE = 4
ORGANISATION_TYPES = ("city", "company", "association", "research", "resident")
SEEDS = (0, 1, 2)
# Sentences per long document, and the share of sentences that go into long documents.
LONG_SENTENCES = 6
LONG_SHARE = 0.6

VARIANTS: dict[str, VectorizerConfig] = {
    "words, no stop words removed": VectorizerConfig(
        normalizer="none", stop_words=False, char_ngrams=None
    ),
    "words": VectorizerConfig(normalizer="none", char_ngrams=None),
    "snowball stems": VectorizerConfig(normalizer="snowball", char_ngrams=None),
    "simplemma lemmas": VectorizerConfig(normalizer="lemma", char_ngrams=None),
    "char 3-5": VectorizerConfig(normalizer="none", char_weight=1.0),
    "words + char 3-5": VectorizerConfig(normalizer="none"),
    "snowball + char 3-5": VectorizerConfig(),
    "lemmas + char 3-5": VectorizerConfig(normalizer="lemma"),
}
DEFAULT_VARIANT = "snowball + char 3-5"


def pair_precision(groups: Sequence[Sequence[int]], labels: Sequence[str]) -> float:
    same = total = 0
    for members in groups:
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                total += 1
                same += labels[a] == labels[b]
    return same / total if total else 0.0


def random_groups(n: int, seed: int) -> list[list[int]]:
    order = np.random.default_rng(seed).permutation(n).tolist()
    return [order[i : i + GROUP_SIZE] for i in range(0, n, GROUP_SIZE)]


def reference_groups(texts: Sequence[str], seed: int) -> list[list[int]]:
    """The plain reference: raw-word TF-IDF, each unplaced person takes nearest unplaced."""
    matrix = TfidfVectorizer(sublinear_tf=True).fit_transform(texts)
    similarity = (matrix @ matrix.T).toarray()
    np.fill_diagonal(similarity, -np.inf)
    free = np.ones(len(texts), dtype=bool)
    groups = []
    for person in np.random.default_rng(seed).permutation(len(texts)):
        if not free[person]:
            continue
        free[person] = False
        scores = np.where(free, similarity[person], -np.inf)
        take = [int(i) for i in np.argsort(-scores)[: GROUP_SIZE - 1] if free[i]]
        free[take] = False
        groups.append([int(person), *take])
    return groups


def organisation_types(n: int, seed: int) -> list[str]:
    return list(np.random.default_rng(1000 + seed).choice(ORGANISATION_TYPES, size=n))


def csv_groups(rows: Sequence[Row], seed: int, diverse: bool) -> list[list[int]]:
    """Groups of exactly GROUP_SIZE from match-csv's own code path, on a temporary CSV."""
    types = organisation_types(len(rows), seed)
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "in.csv", Path(folder) / "out.csv"
        with source.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(("id", "text", "org"))
            writer.writerows((r.id, r.text, kind) for r, kind in zip(rows, types, strict=True))
        options = CsvMatchOptions(
            min_size=GROUP_SIZE,
            max_size=GROUP_SIZE,
            diversity_column="org" if diverse else None,
            seed=seed,
        )
        match_csv(source, target, options)
        with target.open(encoding="utf-8", newline="") as handle:
            placed = [(row["id"], row["group"]) for row in csv.DictReader(handle)]
    index = {row.id: i for i, row in enumerate(rows)}
    groups: dict[str, list[int]] = {}
    for person, group in placed:
        groups.setdefault(group, []).append(index[person])
    return list(groups.values())


def engine_groups(
    rows: Sequence[Row], config: VectorizerConfig, seed: int, diverse: bool
) -> list[list[int]]:
    types = organisation_types(len(rows), seed) if diverse else [None] * len(rows)
    participants = [
        Participant(row.id, (Contribution(row.id, row.text),), organisation_type=kind)
        for row, kind in zip(rows, types, strict=True)
    ]
    options = GroupingOptions(
        min_size=GROUP_SIZE,
        max_size=GROUP_SIZE,
        min_distinct_types=2 if diverse else 0,
        vectorizer=config,
        explain=False,
    )
    result = form_groups(participants, options, seed=seed)
    index = {row.id: i for i, row in enumerate(rows)}
    return [[index[m] for m in group.member_ids] for group in result.groups]


def mean_over_seeds(run) -> float:  # type: ignore[no-untyped-def]
    return float(np.mean([run(seed) for seed in SEEDS]))


def language_accuracy(rows: Sequence[Row]) -> str:
    if any(row.lang not in ("fi", "sv", "en") for row in rows):
        return "-"
    return f"{np.mean([analyze(row.text).language == row.lang for row in rows]):.3f}"


def sib_sentences(data: dict[str, list[Row]]) -> dict[str, dict[str, Row]]:
    """SIB-200 rows by language, then by the sentence number their ids share (fi-431, en-431)."""
    return {
        lang: {row.id.split("-", 1)[1]: row for row in data[f"sib200_{lang}.csv"]}
        for lang in ("fi", "sv", "en")
    }


def mixed_language_pool(sentences: dict[str, dict[str, Row]]) -> list[Row]:
    """Each sentence once, in one of fi/sv/en drawn at random (fixed seed)."""
    rng = np.random.default_rng(7)
    numbers = sorted(sentences["en"])
    langs = rng.choice(["fi", "sv", "en"], size=len(numbers))
    return [sentences[lang][number] for number, lang in zip(numbers, langs, strict=True)]


def long_text_pool(rows: Sequence[Row], lang: str) -> list[Row]:
    """Same-topic sentences concatenated LONG_SENTENCES at a time, mixed with single ones."""
    rng = np.random.default_rng(11)
    by_label: dict[str, list[Row]] = {}
    for row in rows:
        by_label.setdefault(row.label, []).append(row)
    pool: list[Row] = []
    for label, members in sorted(by_label.items()):
        order = [members[i] for i in rng.permutation(len(members))]
        cut = int(len(order) * LONG_SHARE) // LONG_SENTENCES * LONG_SENTENCES
        for start in range(0, cut, LONG_SENTENCES):
            part = order[start : start + LONG_SENTENCES]
            text = " ".join(row.text for row in part)
            pool.append(Row(f"long-{part[0].id}", text, label, lang))
        pool += order[cut:]
    return [pool[i] for i in rng.permutation(len(pool))]


def derived_pools(data: dict[str, list[Row]]) -> dict[str, list[Row]]:
    sentences = sib_sentences(data)
    return {
        "long text, sib200_en": long_text_pool(data["sib200_en.csv"], "en"),
        "long text, sib200_fi": long_text_pool(data["sib200_fi.csv"], "fi"),
        "mixed fi/sv/en, sib200": mixed_language_pool(sentences),
    }


def quality_row(name: str, rows: Sequence[Row]) -> str:
    labels = [row.label for row in rows]
    texts = [row.text for row in rows]
    rand = mean_over_seeds(lambda s: pair_precision(random_groups(len(rows), s), labels))
    ref = mean_over_seeds(lambda s: pair_precision(reference_groups(texts, s), labels))
    started = time.perf_counter()
    plain = mean_over_seeds(lambda s: pair_precision(csv_groups(rows, s, False), labels))
    diverse = mean_over_seeds(lambda s: pair_precision(csv_groups(rows, s, True), labels))
    seconds = (time.perf_counter() - started) / (2 * len(SEEDS))
    print(f"  ({name}: {seconds:.2f} s per engine run)", file=sys.stderr)
    return (
        f"| {name} | {rand:.3f} | {ref:.3f} | {plain:.3f} | {diverse:.3f} "
        f"| {plain / ref:.2f}x | {100 * (1 - diverse / plain):+.1f} % "
        f"| {language_accuracy(rows)} |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", action="store_true", help="also compare text variants")
    args = parser.parse_args(argv)
    files = data_files()
    data = {path.name: read_rows(path) for path in files}
    pools = {**data, **derived_pools(data)}

    print(f"Pair precision, groups of exactly {GROUP_SIZE}, mean of seeds {SEEDS}\n")
    print(
        "| data | random | reference | engine | engine, 2+ org types | engine/ref "
        "| cost of diversity | language detection |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, rows in pools.items():
        print(quality_row(name, rows), flush=True)

    if args.variants:
        print("\nText variants: engine pair precision without diversity, seed 0\n")
        print("| variant | " + " | ".join(pools) + " |")
        print("| --- |" + " --- |" * len(pools))
        for variant, variant_config in VARIANTS.items():
            cells = [
                pair_precision(
                    engine_groups(rows, variant_config, 0, False), [r.label for r in rows]
                )
                for rows in pools.values()
            ]
            print(f"| {variant} | " + " | ".join(f"{c:.3f}" for c in cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
