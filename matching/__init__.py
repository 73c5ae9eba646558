"""The matching engine: pure Python, text in, groups out (no Slack, no database).

- ``matching.analyze``: tokenization, language detection (fi/sv/en or "other"), stop words,
  stems/lemmas.
- ``matching.vectorize``: ``TextVectorizer`` (TF-IDF on words and character n-grams).
- ``matching.ngrams``: the character n-grams of a pool's words, as a count matrix.
- ``matching.latent``: latent topics of a pool (LSA), blended with the lexical cosine.
- ``matching.similarity``: ``PoolSimilarity`` (people from their contributions, top-k graph).
- ``matching.grouping``: ``form_groups(participants, options, ...) -> GroupingResult``.
- ``matching.explain``: shared key terms, member ties, cohesion and its random baseline.
- ``matching.similar``: ``SimilarityIndex`` for "similar ideas" and search.
- ``matching.csv_match``: the spreadsheet round trip behind ``collider match-csv``.
"""
