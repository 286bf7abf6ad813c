#!/usr/bin/env python3
"""Writes tests/fixtures/metrics-sklearn.json: sklearn's reference values for the TypeScript metrics.

The JSON is committed so that the tests run without Python; rerun this only to change the dataset:
    /usr/bin/python3 bench/reference/metrics_fixture.py   (needs numpy and scikit-learn, e.g. Debian's python3-sklearn)
"""
import json
from pathlib import Path

import numpy as np
from sklearn.metrics import log_loss, roc_auc_score

CLIP = 1e-7
OUTPUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "metrics-sklearn.json"


def gauc(labels, scores, users):
    """Row-weighted mean of per-user AUCs, skipping users whose rows are all one class."""
    weighted_sum, weight, groups, skipped = 0.0, 0, 0, 0
    for user in np.unique(users):
        rows = users == user
        if len(np.unique(labels[rows])) < 2:
            skipped += 1
            continue
        weighted_sum += rows.sum() * roc_auc_score(labels[rows], scores[rows])
        weight += rows.sum()
        groups += 1
    return {"value": weighted_sum / weight, "groups": groups, "skipped": skipped}


def main():
    rng = np.random.RandomState(20240601)
    n = 400
    # Zipf-like activity leaves some users with a handful of rows, often all of one class, so GAUC skips them.
    activity = 1.0 / np.arange(1, 41)
    users = rng.choice(40, size=n, p=activity / activity.sum())
    # One decimal puts many rows on the same score, so tie handling is what gets checked.
    scores = np.round(rng.uniform(size=n), 1)
    labels = (rng.uniform(size=n) < 0.15 + 0.6 * scores).astype(int)
    mask = (rng.uniform(size=n) < 0.6).astype(int)
    # Exact 0s and 1s exercise the clipping; the rest are ordinary probabilities.
    probs = np.round(rng.uniform(size=n), 4)
    probs[:5] = [0.0, 1.0, 0.0, 1.0, 0.5]
    clipped = np.clip(probs, CLIP, 1 - CLIP)
    on = mask == 1

    fixture = {
        "labels": labels.tolist(),
        "scores": scores.tolist(),
        "users": users.tolist(),
        "mask": mask.tolist(),
        "probs": probs.tolist(),
        "auc": roc_auc_score(labels, scores),
        "auc_masked": roc_auc_score(labels[on], scores[on]),
        "logloss": log_loss(labels, clipped),
        "logloss_masked": log_loss(labels[on], clipped[on]),
        "gauc": gauc(labels, scores, users),
        "gauc_masked": gauc(labels[on], scores[on], users[on]),
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(fixture) + "\n")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
