"""Writes reviews.csv, the synthetic data set of examples/reviews.nn. Python 3, standard library
only; the same file on every run (a fixed seed): `python3 make_reviews.py` from this folder.

Each row is a "review" of 12 token ids w0..w11 from a vocabulary of 40, and `positive`
(1 positive, 0 negative, half each). Id 0 pads a review shorter than 12 (4 to 12 words, at the
end); ids 1-12 are positive words, 13-24 negative words, 25-39 neutral words. A positive
review draws each word from the positive words with probability 0.4, the negative ones 0.1,
the neutral ones otherwise (and the other way round for a negative review), so the label is a
matter of which kind of word dominates, as in a bag-of-words sentiment task; a few reviews are
ambiguous, so no model reaches 100%.
"""

import random
from pathlib import Path

ROWS, LENGTH = 800, 12
POSITIVE, NEGATIVE, NEUTRAL = range(1, 13), range(13, 25), range(25, 40)

rng = random.Random(2026)
lines = [",".join([f"w{i}" for i in range(LENGTH)] + ["positive"])]
for _ in range(ROWS):
    positive = rng.random() < 0.5
    same, other = (POSITIVE, NEGATIVE) if positive else (NEGATIVE, POSITIVE)
    words = []
    for _ in range(rng.randint(4, LENGTH)):
        u = rng.random()
        pool = same if u < 0.4 else other if u < 0.5 else NEUTRAL
        words.append(rng.choice(pool))
    words += [0] * (LENGTH - len(words))
    lines.append(",".join(map(str, words + [int(positive)])))
Path(__file__).with_name("reviews.csv").write_text("\n".join(lines) + "\n")
