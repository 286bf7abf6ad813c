#!/usr/bin/env python3
"""The PyTorch side of `npm run bench`: the reference config of issue 8 with the models of esmc_torch.models
(python/esmc_torch/esmc_torch/models.py), on one thread.

    /usr/bin/python3 bench/reference/bench_torch.py --data DIR --model esmc --embedding dense --warmup 5 --steps 30 \
        --repeats 3 --infer-batches 16

DIR holds the rows bench/run.ts generated (categorical.i32 [rows × fields], click/action/purchase.f32, meta.json),
so this trains and scores exactly the rows the tfjs side does. It measures the same way as bench/worker.ts:

- training: one pass over (warmup + repeats·steps)·1024 rows in a shuffled order, a timestamp after every step
  (after the loss is read back); window k is the `steps` steps after warmup + k·steps; Adam(lr 1e-3, eps 1e-7 as
  tfjs). --embedding dense: the models as they are (the table gets a dense gradient and dense Adam, like tfjs's plain
  path); --embedding sparse: the same model with a sparse gradient for the table and torch.optim.SparseAdam on it
  (lazy Adam: only the rows a batch touched move, like the engine's sparse embedding), Adam on the towers;
- inference: one warm-up batch, then each repeat scores all infer-batches·4096 rows in batches of 4096 under
  no_grad and copies every stage into numpy arrays (predictRows fills Float32Arrays);
- peak RSS: ru_maxrss of this process.

bench/run.ts runs it with MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=268435456 in the environment: with
glibc's defaults each Adam step mmaps/unmaps its 6 MiB temporaries, and the page faults make training ~4× slower in
this VM.
Set them when running it by hand too (it warns when they are missing).

Prints one line "BENCH_RESULT {json}" (the WorkerResult of bench/data.ts). Debian's python3-torch (1.13) and numpy.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch

# The models live in the esmc_torch package (python/esmc_torch), importable from the checkout without installing.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python" / "esmc_torch"))
from esmc_torch.models import create_model  # noqa: E402

BATCH_SIZE = 1024
INFER_BATCH_SIZE = 4096
LEARNING_RATE = 1e-3
EMBEDDING_DIM = 8
HIDDEN = [128, 64]
CONSTRAINT = {"lambda": 0.01, "layers": "hidden", "distance": "l2", "gradient": "both"}
RESULT_TAG = "BENCH_RESULT "


def read_data(folder: Path, rows: int) -> dict:
    meta = json.loads((folder / "meta.json").read_text())
    if rows > meta["rows"]:
        raise SystemExit(f"The benchmark data has {meta['rows']} rows; {rows} were asked for")
    fields = meta["fields"]
    categorical = np.fromfile(folder / "categorical.i32", dtype="<i4", count=rows * fields).reshape(rows, fields)
    labels = {
        name: np.fromfile(folder / f"{name}.f32", dtype="<f4", count=rows) for name in ("click", "action", "purchase")
    }
    return {"meta": meta, "categorical": categorical, "labels": labels}


def init_weights(model: torch.nn.Module, seed: int) -> None:
    """The engine's init: embedding N(0, 0.05²), every layer U(±1/√fanIn) (PyTorch's nn.Linear default)."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, weight in model.named_weights().items():
            if name == "embedding":
                weight.normal_(0.0, 0.05)
            else:
                fan_in = model.named_weights()[name.rsplit(".", 1)[0] + ".kernel"].shape[0]
                bound = 1.0 / math.sqrt(fan_in)
                weight.uniform_(-bound, bound)


def use_sparse_gradients(model: torch.nn.Module) -> None:
    """The table's gradient as a sparse tensor (the touched rows only): F.embedding(sparse=True) instead of
    indexing. Categorical fields only, which is all the benchmark has."""
    embedding = model.embedding
    if embedding.schema["multiHot"]:
        raise SystemExit("--embedding sparse supports categorical fields only")

    def forward(categorical: torch.Tensor, multi_hot: list, dense: torch.Tensor) -> torch.Tensor:
        rows = categorical + embedding.cat_offsets
        vectors = torch.nn.functional.embedding(rows, embedding.table, sparse=True)
        return torch.cat([vectors.reshape(categorical.shape[0], -1), dense], dim=1)

    embedding.forward = forward


def batch_inputs(categorical: np.ndarray) -> dict:
    n = categorical.shape[0]
    return {
        "categorical": torch.from_numpy(categorical.astype(np.int64)),
        "multi_hot": [],
        "dense": torch.zeros((n, 0), dtype=torch.float32),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--model", required=True)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--infer-batches", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--embedding", choices=["dense", "sparse"], default="dense")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    args = parser.parse_args()

    if "MALLOC_MMAP_THRESHOLD_" not in os.environ:
        print(
            "bench_torch.py: MALLOC_MMAP_THRESHOLD_ is not set; with glibc's defaults Adam's temporaries page-fault on "
            "every step (see the docstring), so training will be slower than under npm run bench",
            file=sys.stderr,
        )
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)

    train_rows = (args.warmup + args.repeats * args.steps) * args.batch_size
    infer_rows = args.infer_batches * INFER_BATCH_SIZE
    data = read_data(args.data, max(train_rows, infer_rows))
    meta = data["meta"]
    schema = {
        "categorical": [{"name": f"f{f}", "vocabSize": meta["vocabSize"]} for f in range(meta["fields"])],
        "multiHot": [],
        "dense": [],
    }
    config = {
        "embeddingDim": EMBEDDING_DIM,
        "tower": {"hidden": HIDDEN, "activation": "relu", "dropout": 0},
        "lossWeights": {},
        "constraint": CONSTRAINT,
        "seed": 1,
    }
    model = create_model(args.model, schema, config)
    init_weights(model, 1)
    parameters = sum(w.numel() for w in model.named_weights().values())
    if args.embedding == "sparse":
        use_sparse_gradients(model)
        table = model.embedding.table
        towers = [w for w in model.parameters() if w is not table]
        optimizers = [
            torch.optim.SparseAdam([table], lr=LEARNING_RATE, eps=1e-7),
            torch.optim.Adam(towers, lr=LEARNING_RATE, eps=1e-7),
        ]
    else:
        optimizers = [torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, eps=1e-7)]

    # Training: the same rows as tfjs, one shuffled pass, a timestamp after every step.
    categorical = data["categorical"][:train_rows]
    labels = {name: values[:train_rows] for name, values in data["labels"].items()}
    order = np.random.RandomState(1).permutation(train_rows)
    total_steps = args.warmup + args.repeats * args.steps
    model.train()
    started = time.perf_counter()
    stamps: list[float] = []
    losses: list[float] = []
    for step in range(total_steps):
        rows = order[step * args.batch_size : (step + 1) * args.batch_size]
        inputs = batch_inputs(categorical[rows])
        y = {name: torch.from_numpy(values[rows]) for name, values in labels.items()}
        for optimizer in optimizers:
            optimizer.zero_grad(set_to_none=True)
        total, terms = model.loss(inputs, y)
        total.backward()
        for optimizer in optimizers:
            optimizer.step()
        values = torch.stack([total.detach(), *(t.detach() for t in terms.values())]).tolist()
        stamps.append(time.perf_counter())
        losses.append(values[0])
    train_sps, window_loss = [], []
    for k in range(args.repeats):
        first = args.warmup + k * args.steps - 1
        last = first + args.steps
        train_sps.append(args.steps * args.batch_size / (stamps[last] - stamps[first]))
        window_loss.append(sum(losses[first + 1 : last + 1]) / args.steps)

    # Inference: batches of 4096, every stage copied out into numpy arrays.
    model.eval()
    infer_categorical = data["categorical"][:infer_rows]

    def predict_rows(rows: int) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        with torch.no_grad():
            for start in range(0, rows, INFER_BATCH_SIZE):
                end = min(start + INFER_BATCH_SIZE, rows)
                p = model.predict(batch_inputs(infer_categorical[start:end]))
                stacked = torch.stack(list(p.values())).numpy()
                for s, stage in enumerate(p):
                    out.setdefault(stage, np.empty(rows, dtype=np.float32))[start:end] = stacked[s]
        return out

    predict_rows(INFER_BATCH_SIZE)
    infer_sps = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        out = predict_rows(infer_rows)
        seconds = time.perf_counter() - t0
        if not np.isfinite(out["ctcvr"]).all():
            raise SystemExit("predict returned non-finite probabilities")
        infer_sps.append(infer_rows / seconds)

    result = {
        "runtime": "PyTorch",
        "backend": "torch",
        "device": f"CPU ({torch.get_num_threads()} thread{'s' if torch.get_num_threads() > 1 else ''})",
        "version": f"PyTorch {torch.__version__}",
        "model": args.model,
        "embedding": args.embedding,
        "parameters": parameters,
        "batchSize": args.batch_size,
        "warmupSteps": args.warmup,
        "steps": args.steps,
        "repeats": args.repeats,
        "trainSamplesPerSecond": train_sps,
        "firstStepMs": (stamps[0] - started) * 1000,
        "loss": {"first": window_loss[0], "last": window_loss[-1]},
        "inferBatchSize": INFER_BATCH_SIZE,
        "inferRows": infer_rows,
        "inferSamplesPerSecond": infer_sps,
        "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(RESULT_TAG + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
