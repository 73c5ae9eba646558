"""Time and peak memory of ``collider match-csv`` end to end, for 1k, 10k and 100k people.

Inputs are synthesized in a temporary folder (never in the repository) by resampling the texts
of ../shared/data: each synthetic person takes a random text and drops a random fifth of its
words, so that no two rows are identical copies. The CLI runs as a subprocess; wall time and
peak RSS are that process's own (os.wait4), imports included.

Recall@20 of the neighbour search against a brute-force answer (every pair scored) on a sample
of rows is printed beside (an item tied with the K-th best counts as right): the search is
exact, so anything under 1.000 would be a bug.

    /work/venv/bin/python -m benchmarks.matching_scale [--sizes 1000 10000 100000]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from benchmarks.common import data_files, read_rows
from matching.model import GroupingOptions
from matching.similarity import PoolSimilarity
from matching.vectorize import TextVectorizer

K = 20
RECALL_SAMPLE = 300

REPO = Path(__file__).resolve().parents[1]
ORGANISATION_TYPES = ("city", "company", "association", "research", "resident")


def synthesize(path: Path, n: int, seed: int = 0) -> None:
    texts = [row.text for file in data_files() for row in read_rows(file)]
    rng = np.random.default_rng(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("id", "text", "org"))
        for i, source in enumerate(rng.integers(0, len(texts), size=n)):
            words = texts[source].split()
            kept = [w for w in words if rng.random() >= 0.2] or words
            writer.writerow((f"s{i}", " ".join(kept), ORGANISATION_TYPES[rng.integers(5)]))


def recall_at_k(source: Path, seed: int = 0) -> float:
    """Share of the brute-force top-K of sampled rows that the engine's search also returns.

    The brute force scores what the engine scores: the lexical cosine, blended with the latent
    one on pools small enough for it (matching.latent).
    """
    with source.open(encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    vectors = TextVectorizer().fit_transform(texts).matrix
    n = len(texts)
    weight = GroupingOptions().latent_weight
    similarity = PoolSimilarity(vectors, np.arange(n), np.zeros(n, dtype=bool), n, None, weight)
    row, col, _ = similarity.top_k_contributions(K)
    sample = np.random.default_rng(seed).choice(n, size=min(RECALL_SAMPLE, n), replace=False)
    exact = (vectors[sample] @ sp.csr_matrix(vectors.T)).toarray()
    if similarity.latent is not None:  # pools small enough for the latent blend
        latent, weight = similarity.latent, similarity.latent_weight
        exact = (1 - weight) * exact + weight * (latent[sample] @ latent.T)
    exact[np.arange(len(sample)), sample] = -np.inf
    found = 0.0
    for i, item in enumerate(sample):
        scores = exact[i]
        best = np.sort(scores[scores > 0])[::-1][:K]
        if not len(best):
            found += 1.0
            continue
        # Resampled pools hold duplicate texts: any item tied with the K-th best is as right.
        truth = set(np.flatnonzero(scores >= best[-1] - 1e-6).tolist())
        engine = set(col[row == item].tolist())
        found += min(1.0, len(truth & engine) / len(best))
    return found / len(sample)


def run_cli(source: Path, target: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB, exit code of one match-csv run."""
    command = [
        sys.executable, "-m", "bot", "match-csv", str(source), "--out", str(target),
        "--diversity-column", "org",
    ]  # fmt: skip
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    return seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    args = parser.parse_args(argv)
    print(
        f"| participants | wall time (s) | peak RSS (MB) | recall@{K} (sample of {RECALL_SAMPLE}) |"
    )
    print("| --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as folder:
        for n in args.sizes:
            source, target = Path(folder) / f"in-{n}.csv", Path(folder) / f"out-{n}.csv"
            synthesize(source, n)
            seconds, megabytes, code = run_cli(source, target)
            if code:
                print(f"match-csv failed with exit code {code} for n={n}", file=sys.stderr)
                return 1
            recall = recall_at_k(source)
            print(f"| {n:,} | {seconds:.1f} | {megabytes:.0f} | {recall:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
