"""Pair precision of the matching engine on the labelled data in ../shared/data.

Pair precision: of all pairs of people placed in one group, the share with the same label.
Compared with random grouping and with a plain reference (sublinear TF-IDF on raw words; in
random order, each unplaced person takes their nearest unplaced neighbours). One row = one
person; groups of 4 (3..5 where the count does not divide).

    /work/venv/bin/python -m benchmarks.matching_quality [--variants]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from benchmarks.common import Row, data_files, read_rows
from matching.analyze import analyze
from matching.grouping import form_groups
from matching.model import Contribution, GroupingOptions, Participant
from matching.vectorize import VectorizerConfig

GROUP_SIZE = 4
ORGANISATION_TYPES = ("city", "company", "association", "research", "resident")
SEEDS = (0, 1, 2)

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


def engine_groups(
    rows: Sequence[Row], config: VectorizerConfig, seed: int, diverse: bool
) -> list[list[int]]:
    rng = np.random.default_rng(1000 + seed)
    types = rng.choice(ORGANISATION_TYPES, size=len(rows)) if diverse else [None] * len(rows)
    participants = [
        Participant(row.id, (Contribution(row.id, row.text),), organisation_type=kind)
        for row, kind in zip(rows, types, strict=True)
    ]
    options = GroupingOptions(
        min_size=GROUP_SIZE - 1,
        max_size=GROUP_SIZE + 1,
        target_size=GROUP_SIZE,
        min_distinct_types=2 if diverse else 0,
        vectorizer=config,
        explain=False,
    )
    result = form_groups(participants, options, seed=seed)
    index = {row.id: i for i, row in enumerate(rows)}
    return [[index[m] for m in group.member_ids] for group in result.groups]


def mean_over_seeds(run) -> float:  # type: ignore[no-untyped-def]
    return float(np.mean([run(seed) for seed in SEEDS]))


def language_accuracy(rows: Sequence[Row]) -> float:
    return float(np.mean([analyze(row.text).language == row.lang for row in rows]))


def quality_row(name: str, rows: Sequence[Row], config: VectorizerConfig) -> str:
    labels = [row.label for row in rows]
    texts = [row.text for row in rows]
    rand = mean_over_seeds(lambda s: pair_precision(random_groups(len(rows), s), labels))
    ref = mean_over_seeds(lambda s: pair_precision(reference_groups(texts, s), labels))
    started = time.perf_counter()
    plain = mean_over_seeds(lambda s: pair_precision(engine_groups(rows, config, s, False), labels))
    diverse = mean_over_seeds(
        lambda s: pair_precision(engine_groups(rows, config, s, True), labels)
    )
    seconds = (time.perf_counter() - started) / (2 * len(SEEDS))
    print(f"  ({name}: {seconds:.2f} s per engine run)", file=sys.stderr)
    return (
        f"| {name} | {rand:.3f} | {ref:.3f} | {plain:.3f} | {diverse:.3f} "
        f"| {plain / ref:.2f}x | {100 * (1 - diverse / plain):+.1f} % "
        f"| {language_accuracy(rows):.3f} |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", action="store_true", help="also compare text variants")
    args = parser.parse_args(argv)
    files = data_files()
    data = {path.name: read_rows(path) for path in files}

    print(f"Pair precision, groups of {GROUP_SIZE}, mean of seeds {SEEDS}\n")
    print(
        "| data | random | reference | engine | engine, 2+ org types | engine/ref "
        "| cost of diversity | language detection |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    config = VARIANTS[DEFAULT_VARIANT]
    for name, rows in data.items():
        print(quality_row(name, rows, config), flush=True)

    if args.variants:
        print("\nText variants: engine pair precision without diversity, seed 0\n")
        print("| variant | " + " | ".join(data) + " |")
        print("| --- |" + " --- |" * len(data))
        for variant, variant_config in VARIANTS.items():
            cells = [
                pair_precision(
                    engine_groups(rows, variant_config, 0, False), [r.label for r in rows]
                )
                for rows in data.values()
            ]
            print(f"| {variant} | " + " | ".join(f"{c:.3f}" for c in cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
