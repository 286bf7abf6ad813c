"""A tiny export in the layout `esmc-lab export` writes (export.json, Parquet parts, .esmclab initial weights), so the
tests need neither the lab nor a real dataset."""

from __future__ import annotations

import copy
import json
import math
import os
import socket
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
if str(PACKAGE_ROOT) not in sys.path:
    sys.path.insert(0, str(PACKAGE_ROOT))

from esmc_torch.modelfile import write_model_file  # noqa: E402
from esmc_torch.models import create_model  # noqa: E402
from esmc_torch.predictions import STAGE_COLUMNS  # noqa: E402

SCHEMA = {
    "categorical": [{"name": "user", "vocabSize": 21}, {"name": "item", "vocabSize": 11}],
    "multiHot": [{"name": "tags", "vocabSize": 7, "maxLength": 3, "pooling": "mean"}],
    "dense": [{"name": "price"}],
}

CONFIG = {
    "embeddingDim": 4,
    "tower": {"hidden": [8, 4], "activation": "relu", "dropout": 0},
    "lossWeights": {},
    "constraint": {"lambda": 0.01, "layers": "hidden", "distance": "l2", "gradient": "both"},
    "counterfactual": {"maxWeight": 15, "normalise": "exposures"},
    "seed": 1,
    "embedding": "sparse",
    "outputBias": "base-rate",
}



def initial_weights(model, rng: np.random.RandomState, rates: dict) -> dict[str, np.ndarray]:
    """Like the engine's start: embedding N(0, 0.05²), Glorot-uniform kernels, zero biases, output biases at the
    logit of a base rate."""
    weights = {}
    for name, param in model.named_weights().items():
        shape = tuple(param.shape)
        if name == "embedding":
            values = rng.normal(scale=0.05, size=shape)
        elif name.endswith(".bias"):
            values = np.zeros(shape)
        else:
            limit = math.sqrt(6.0 / (shape[0] + shape[-1]))
            values = rng.uniform(-limit, limit, size=shape)
        weights[name] = values.astype(np.float32)
    for tower, rate in rates.items():
        if f"{tower}.out.bias" in weights:
            weights[f"{tower}.out.bias"][:] = math.log(rate / (1 - rate))
    return weights


def make_rows(rows: int, rng: np.random.RandomState, has_action: bool = True) -> dict:
    user = rng.randint(0, 21, size=rows)
    item = rng.randint(0, 11, size=rows)
    price = rng.normal(size=rows).astype(np.float32)
    bags = []
    for i in range(rows):
        length = rng.randint(0, 6)  # some longer than maxLength 3: the reader keeps the first 3
        bags.append(None if i % 97 == 5 else rng.randint(1, 7, size=length).tolist())
    score = 0.15 * (user % 5) - 0.1 * (item % 3) + 0.3 * price
    click = (rng.uniform(size=rows) < 1 / (1 + np.exp(-(score - 0.5)))).astype(np.int8)
    action = click * (rng.uniform(size=rows) < 0.4 + 0.1 * (item % 2)).astype(np.int8)
    purchase = click * (rng.uniform(size=rows) < 0.1 + 0.4 * action).astype(np.int8)
    data = {
        "click": click,
        "purchase": purchase,
        "user_key": user.astype(np.int32),
        "cat.user": user.astype(np.int32),
        "cat.item": item.astype(np.int32),
        "bag.tags": bags,
        "dense.price": price,
    }
    if has_action:
        data["action"] = action
    return data


def write_part(folder: Path, root: Path, row_ids: np.ndarray, data: dict, files: int, row_group: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    bounds = np.linspace(0, len(row_ids), files + 1).astype(int)
    for f in range(files):
        lo, hi = bounds[f], bounds[f + 1]
        columns = {"row_id": pa.array(row_ids[lo:hi], type=pa.int32())}
        for name, values in data.items():
            if name.startswith("bag."):
                columns[name] = pa.array(values[lo:hi], type=pa.list_(pa.int32()))
            else:
                columns[name] = pa.array(np.asarray(values)[lo:hi])
        path = folder / f"part-{f}.parquet"
        pq.write_table(pa.table(columns), path, row_group_size=row_group)
        names.append(str(path.relative_to(root)))
    return names


def make_export(
    root: str | os.PathLike,
    rows: int = 600,
    models: tuple[str, ...] = ("esmc",),
    files: int = 2,
    row_group: int = 64,
    has_action: bool = True,
    config: dict | None = None,
    training: dict | None = None,
    seed: int = 0,
) -> Path:
    """An export of `rows` rows (80/10/10 train/validation/test, row ids shuffled over the parts), each part in
    `files` files of row groups of `row_group` rows, and each model's initial weights."""
    root = Path(root)
    rng = np.random.RandomState(seed)
    data = make_rows(rows, rng, has_action)
    ids = rng.permutation(rows) * 3 + 7  # row ids are neither positions nor contiguous
    cuts = [int(rows * 0.8), int(rows * 0.9)]
    parts = {}
    for part, index in zip(("train", "validation", "test"), np.split(np.arange(rows), cuts)):
        index = index[np.argsort(ids[index])]  # each part ordered by row id, as the lab writes it
        part_data = {name: [values[i] for i in index] for name, values in data.items()}
        part_data = {name: v if name.startswith("bag.") else np.asarray(v) for name, v in part_data.items()}
        files_written = write_part(root / "data" / part, root, ids[index], part_data, files, row_group)
        parts[part] = {"rows": len(index), "files": files_written}

    click, purchase = data["click"].astype(float), data["purchase"].astype(float)
    action = data.get("action", np.zeros(rows)).astype(float)
    ctr = click.mean()
    rates = {"ctr": ctr, "act": max(action.sum() / click.sum(), 0.05), "cvr": purchase.sum() / click.sum()}
    rates.update(buy_a=0.3, buy_na=0.05, buy=rates["cvr"] * ctr, cf=0.5, imp=0.5)
    model_config = {**copy.deepcopy(CONFIG), **(config or {})}
    training = {
        "epochs": 2,
        "batchSize": 64,
        "learningRate": 0.01,
        "weightDecay": 0,
        "seed": 1,
        "patience": None,
        "monitor": "loss",
        "minSteps": 0,
        "progressIntervalMs": 250,
        **(training or {}),
    }
    (root / "models").mkdir(parents=True, exist_ok=True)
    entries = {}
    for index, name in enumerate(models):
        model = create_model(name, SCHEMA, model_config)
        weights = initial_weights(model, np.random.RandomState(seed + 100 + index), rates)
        header = {
            "model": name,
            "config": model_config,
            "schema": SCHEMA,
            "encoding": {"note": "a test export"},
            "meta": {"training": training, "dataset": "tiny", "split": "random"},
        }
        write_model_file(root / "models" / f"{name}.esmclab", header, weights)
        entries[name] = {"file": f"models/{name}.esmclab", "training": training}

    manifest = {
        "format": "esmc-lab-export",
        "version": 1,
        "dataset": "tiny",
        "split": "random",
        "source": {"path": "tiny.csv", "sha256": "0" * 64, "rows": rows},
        "labels": ["click", "action", "purchase"] if has_action else ["click", "purchase"],
        "schema": SCHEMA,
        "columns": {
            "rowId": "row_id",
            "click": "click",
            **({"action": "action"} if has_action else {}),
            "purchase": "purchase",
            "userKey": "user_key",
            "categorical": ["cat.user", "cat.item"],
            "multiHot": ["bag.tags"],
            "dense": ["dense.price"],
        },
        "parts": parts,
        "models": entries,
        "predictions": {"rowId": "row_id", "columns": STAGE_COLUMNS},
    }
    (root / "export.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return root


def torchrun_command(processes: int, port: int) -> list[str]:
    """torchrun for `processes` local ranks on a given port: esmc_torch.torchrun, which is torch.distributed.run
    with torch 1.13's launcher fixed for Python >= 3.11."""
    command = [sys.executable, "-m", "esmc_torch.torchrun", "--nnodes", "1", "--nproc_per_node", str(processes)]
    return command + ["--master_addr", "127.0.0.1", "--master_port", str(port)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def subprocess_env() -> dict:
    """The environment for a child Python that imports esmc_torch from the checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


torch.set_default_dtype(torch.float32)
