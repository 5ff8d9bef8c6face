"""Writes waveform.csv: Breiman's waveform data (CART, 1984, section 2.6.2), 600 rows.

Each row is 21 samples of a noisy mixture of two of three triangular waves, and its class says
which two: h1(i) = max(6 - |i - 11|, 0) for i = 1..21, h2 = h1 shifted 4 to the right, h3 = h1
shifted 4 to the left; class 0 is u h1 + (1 - u) h2, class 1 u h1 + (1 - u) h3, class 2
u h2 + (1 - u) h3, with u uniform in [0, 1] and unit Gaussian noise on every sample (the UCI
"Waveform Database Generator (Version 1)"; the Bayes error is about 14%). 200 rows per class in
random order, NumPy's default generator seeded with 1984, 3 decimals. Run from this folder:

    python3 waveform.py
"""

from pathlib import Path

import numpy as np

rng = np.random.default_rng(1984)
i = np.arange(1, 22)
h1 = np.maximum(6 - np.abs(i - 11), 0)
h2 = np.maximum(6 - np.abs(i - 15), 0)
h3 = np.maximum(6 - np.abs(i - 7), 0)
pairs = [(h1, h2), (h1, h3), (h2, h3)]

classes = rng.permutation(np.repeat(np.arange(3), 200))
u = rng.uniform(size=(len(classes), 1))
first = np.stack([pairs[c][0] for c in classes])
second = np.stack([pairs[c][1] for c in classes])
samples = u * first + (1 - u) * second + rng.normal(size=first.shape)

header = ",".join([f"t{k}" for k in i] + ["wave"])
rows = [",".join(f"{v:.3f}" for v in row) + f",{c}" for row, c in zip(samples, classes)]
Path(__file__).with_name("waveform.csv").write_text(header + "\n" + "\n".join(rows) + "\n")
