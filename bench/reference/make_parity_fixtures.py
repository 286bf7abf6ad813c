#!/usr/bin/env python3
"""Writes tests/fixtures/parity/<case>.json: the PyTorch reference's forward pass, loss terms and gradients for
every model of the TS engine, on one small batch with fixed random weights. tests/engine/parity.test.ts loads the
same weights into the tfjs models and compares.

The JSON is committed so that CI runs without torch; rerun this only to change the cases:
    /usr/bin/python3 bench/reference/make_parity_fixtures.py   (Debian's python3-torch + python3-numpy)
"""
from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import numpy as np
import torch

# The models live in the esmc_torch package (python/esmc_torch), importable from the checkout without installing.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python" / "esmc_torch"))
from esmc_torch.models import create_model  # noqa: E402

OUTPUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "parity"
SEED = 20240917
ROWS = 16

SCHEMA = {
    "categorical": [
        {"name": "user", "vocabSize": 7},
        {"name": "item", "vocabSize": 5},
        {"name": "shop", "vocabSize": 4},
    ],
    "multiHot": [{"name": "tags", "vocabSize": 6, "maxLength": 3, "pooling": "mean"}],
    "dense": [{"name": "price"}, {"name": "age"}],
}

DEFAULT_CONSTRAINT = {"lambda": 0.01, "layers": "hidden", "distance": "l2", "gradient": "both"}
BASE_CONFIG = {
    "embeddingDim": 4,
    "tower": {"hidden": [8, 4], "activation": "relu", "dropout": 0},
    "lossWeights": {},
    "constraint": DEFAULT_CONSTRAINT,
    "counterfactual": {"maxWeight": 15, "normalise": "exposures"},
    "seed": 1,
}


def counterfactual(**changes):
    return {"counterfactual": {**BASE_CONFIG["counterfactual"], **changes}}


def constraint(**changes):
    return {"constraint": {**DEFAULT_CONSTRAINT, "lambda": 0.1, **changes}}


# (case, model, config changes)
CASES = [
    ("naive", "naive", {}),
    ("esmm", "esmm", {}),
    ("chain", "chain", {}),
    ("esm2", "esm2", {}),
    ("esmc", "esmc", {}),
    ("esms", "esms", {}),
    ("esmg", "esmg", {}),
    ("esmc-cosine", "esmc", constraint(distance="cosine")),
    ("esmc-cvr-only", "esmc", constraint(gradient="cvr-only")),
    ("esmc-all-layers", "esmc", constraint(layers="all")),
    ("esmm-weighted", "esmm", {"lossWeights": {"ctr": 0.5, "ctcvr": 2}}),
    ("esm2-weighted", "esm2", {"lossWeights": {"ctr": 1.5, "ctavr": 0.25, "ctcvr": 2}}),
    ("aitm", "aitm", {}),
    ("aitm-weighted", "aitm", {"lossWeights": {"calibrator": 2, "ctcvr": 0.5}}),
    ("escm2-ips", "escm2-ips", {}),
    ("escm2-ips-self", "escm2-ips", counterfactual(normalise="self")),
    ("escm2-ips-capped", "escm2-ips", counterfactual(maxWeight=2)),
    ("escm2-dr", "escm2-dr", {}),
    ("escm2-dr-self", "escm2-dr", counterfactual(normalise="self")),
    ("dcmt", "dcmt", {}),
    ("dcmt-capped", "dcmt", {**counterfactual(maxWeight=1.5), "lossWeights": {"twin": 0.5}}),
]


def make_batch(rng: np.random.RandomState) -> dict:
    """16 exposures. Each categorical field leaves its last id unused and the bag never uses id 0, so the
    fixtures also pin rows of the embedding gradient that must stay exactly 0."""
    categorical = np.stack([rng.randint(0, f["vocabSize"] - 1, size=ROWS) for f in SCHEMA["categorical"]], axis=1)
    field = SCHEMA["multiHot"][0]
    bag = np.full((ROWS, field["maxLength"]), -1, dtype=np.int64)
    for row in range(ROWS):
        length = rng.randint(0, field["maxLength"] + 1)
        bag[row, :length] = rng.randint(1, field["vocabSize"], size=length)
    bag[3] = -1  # an all-padding row: mean of nothing is 0
    bag[5] = [2, -1, 4]  # padding between ids
    bag[6] = [3, 3, -1]  # a repeated id counts twice
    dense = rng.normal(size=(ROWS, len(SCHEMA["dense"]))).astype(np.float32)

    click = (rng.uniform(size=ROWS) < 0.6).astype(np.float32)
    action = click * (rng.uniform(size=ROWS) < 0.5)
    purchase = click * (rng.uniform(size=ROWS) < 0.5)
    c, a, b = click, action, purchase
    # The funnel: a ⇒ c, b ⇒ c; and every (a, b) combination on clicked rows, direct purchases included.
    assert np.all(a <= c) and np.all(b <= c)
    for want_a, want_b in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        assert np.any((c == 1) & (a == want_a) & (b == want_b)), f"no clicked row with a={want_a}, b={want_b}"
    assert np.any(c == 0)
    return {
        "rows": ROWS,
        "categorical": categorical.tolist(),
        "multiHot": [bag.tolist()],
        "dense": dense,
        "labels": {"click": c, "action": a.astype(np.float32), "purchase": b.astype(np.float32)},
    }


def random_weights(model, rng: np.random.RandomState) -> dict[str, np.ndarray]:
    """Wider than the default init (embedding N(0, 0.5²), layers U(±1.5/√fanIn)) so that h and the hidden layers
    are far from 0 and every path carries a visible gradient."""
    params = model.named_weights()
    weights = {}
    for name, param in params.items():
        shape = tuple(param.shape)
        if name == "embedding":
            values = rng.normal(scale=0.5, size=shape)
        else:
            fan_in = params[name.rsplit(".", 1)[0] + ".kernel"].shape[0]
            values = rng.uniform(-1.5 / np.sqrt(fan_in), 1.5 / np.sqrt(fan_in), size=shape)
        weights[name] = values.astype(np.float32)
    return weights


def torch_batch(batch: dict) -> tuple[dict, dict]:
    inputs = {
        "categorical": torch.tensor(batch["categorical"], dtype=torch.long),
        "multi_hot": [torch.tensor(ids, dtype=torch.long) for ids in batch["multiHot"]],
        "dense": torch.from_numpy(batch["dense"]),
    }
    labels = {k: torch.from_numpy(v) for k, v in batch["labels"].items()}
    return inputs, labels


def f32(values) -> list | float:
    """float32 values as the shortest decimal that reads back to the same float32 (no rounding, half the bytes)."""
    array = np.asarray(values, dtype=np.float32)
    flat = [float(str(v)) for v in array.reshape(-1)]
    assert np.array_equal(np.asarray(flat, dtype=np.float32), array.reshape(-1))
    return flat if array.ndim > 0 else flat[0]


def tensor_json(values) -> dict:
    array = np.asarray(values, dtype=np.float32)
    return {"shape": list(array.shape), "data": f32(array)}


def run_case(case: str, model_name: str, changes: dict, batch: dict, rng: np.random.RandomState) -> dict:
    config = {**copy.deepcopy(BASE_CONFIG), **changes}
    model = create_model(model_name, SCHEMA, config)
    weights = random_weights(model, rng)
    params = model.named_weights()
    with torch.no_grad():
        for name, param in params.items():
            param.copy_(torch.from_numpy(weights[name]))

    inputs, labels = torch_batch(batch)
    with torch.no_grad():
        stages = model.predict(inputs)
    total, terms = model.loss(inputs, labels)
    names = list(params)
    grads = torch.autograd.grad(total, [params[n] for n in names], allow_unused=True)
    gradients = {n: (torch.zeros_like(params[n]) if g is None else g) for n, g in zip(names, grads)}

    for name, p in stages.items():
        exempt = (model_name, name) in {
            ("chain", "buyGivenNoAction"),
            ("esmg", "avr"),
            ("esmg", "cvr"),
            ("aitm", "avr"),
            ("aitm", "cvr"),
        }
        assert exempt or torch.all((p > 1e-4) & (p < 1 - 1e-4)), f"{case}: {name} is near the BCE clip"
    if model_name == "esmg":  # both sides of the served clip min(q / pCTR, 1)
        raw = model.stages(model.embedding(**inputs))
        over = torch.cat([raw["ctavr"] > raw["ctr"], raw["ctcvr"] > raw["ctr"]])
        assert over.any() and not over.all(), f"{case}: the served clip should bind on some rows only"

    if model_name in ("escm2-ips", "escm2-dr", "dcmt"):  # the cap binds on some clicked rows, or on none
        floor = 1.0 / config["counterfactual"]["maxWeight"]
        capped = (labels["click"] == 1) & (stages["ctr"] < floor)
        if model_name == "dcmt":  # its counterfactual tower weighs unclicked rows by 1 / (1 − pCTR)
            capped = capped | ((labels["click"] == 0) & (1.0 - stages["ctr"] < floor))
        assert capped.any() == (config["counterfactual"]["maxWeight"] < 15), f"{case}: the cap should bind only when lowered"

    return {
        "case": case,
        "model": model_name,
        "generator": "bench/reference/make_parity_fixtures.py (PyTorch %s, float32)" % torch.__version__,
        "schema": SCHEMA,
        "config": config,
        "batch": {
            **batch,
            "dense": [f32(row) for row in batch["dense"]],
            "labels": {k: f32(v) for k, v in batch["labels"].items()},
        },
        "weights": {name: tensor_json(weights[name]) for name in names},
        "expected": {
            "stages": {name: f32(p.numpy()) for name, p in stages.items()},
            "terms": {name: f32(t.detach().numpy()) for name, t in terms.items()},
            "total": f32(total.detach().numpy()),
            "gradients": {name: tensor_json(gradients[name].numpy()) for name in names},
        },
    }


def dump(value, indent: int = 0) -> str:
    """JSON with objects one key per line and every array of numbers (or of such arrays) on one line."""
    pad = "  " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{pad}{json.dumps(k)}: {dump(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return "[\n" + ",\n".join(pad + dump(v, indent + 1) for v in value) + "\n" + "  " * indent + "]"
    if isinstance(value, list):
        return json.dumps(value, separators=(",", ":")).replace("],[", "], [")
    return json.dumps(value)


def main():
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)
    rng = np.random.RandomState(SEED)
    batch = make_batch(rng)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for stale in OUTPUT.glob("*.json"):
        stale.unlink()
    total_bytes = 0
    for index, (case, model_name, changes) in enumerate(CASES):
        fixture = run_case(case, model_name, changes, batch, np.random.RandomState(SEED + 1 + index))
        text = dump(fixture) + "\n"
        (OUTPUT / f"{case}.json").write_text(text)
        total_bytes += len(text)
        terms = ", ".join(f"{k}={v:.5f}" for k, v in fixture["expected"]["terms"].items())
        print(f"{case:16s} total={fixture['expected']['total']:.6f}  {terms}")
    print(f"wrote {len(CASES)} fixtures, {total_bytes / 1024:.0f} KiB, to {OUTPUT}")


if __name__ == "__main__":
    main()
