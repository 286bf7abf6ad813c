"""Trains one model of a lab export with DistributedDataParallel and writes every requested row's probabilities.

    torchrun --nproc_per_node 4 -m esmc_torch.train --export DIR --model esmc --out preds.parquet
    python -m esmc_torch.train --export DIR --model esmc --out preds.parquet          (one process)

The model starts from the export's initial weights (the lab's, output biases at the base rates) and trains with
Adam as the lab's engine does (β 0.9/0.999, ε 1e-7, weight decay as L2 on the gradient) with the export's
settings unless a flag overrides them. The batch size is the global one: each of W ranks takes ceil(B / W) rows
per step (see esmc_torch.data for the sharding and why every rank takes the same number of steps). Rank 0 prints
one JSON line per epoch and a summary line at the end. Early stopping (patience) is not applied: every epoch runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import pyarrow as pa
import torch
from torch import nn

from . import distributed
from .checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from .data import PARTS, ExportError, TensorRows, epoch_order, load_export, read_shard, steps_per_epoch
from .modelfile import assign_weights, model_config, model_tensors, read_model_file, save_model
from .models import MODELS, EntireSpaceModel, create_model
from .predictions import PredictionError, join_parts, predict, prediction_table, write_part

# The models that cannot train without an in-shop action label (the engine's needsAction).
NEEDS_ACTION = {"chain", "esm2", "esmc", "esms", "esmg", "aitm"}
# tfjs's Adam, as the engine trains (src-main/engine/train/adam.ts).
ADAM = {"betas": (0.9, 0.999), "eps": 1e-7}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m esmc_torch.train",
        description="Train an ESMC Lab model on a lab export with PyTorch (DDP under torchrun) and write every "
        "requested row's stage probabilities for `esmc-lab import-predictions`.",
    )
    parser.add_argument("--export", required=True, help="the folder `esmc-lab export --out` wrote")
    parser.add_argument("--model", required=True, choices=sorted(MODELS), help="one of the export's models")
    parser.add_argument("--out", required=True, help="predictions file: Parquet, or CSV when it ends with .csv")
    parser.add_argument("--parts", default=",".join(PARTS), help="parts to predict (default train,validation,test)")
    parser.add_argument(
        "--epochs", type=int, help="epochs (default: the export's); 0 predicts with the initial weights"
    )
    parser.add_argument("--batch-size", type=int, help="global batch size: rows per optimiser step, all ranks together")
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--weight-decay", type=float)
    parser.add_argument("--seed", type=int, help="shuffling and dropout seed (default: the export's)")
    parser.add_argument("--device", help="cpu, cuda or cuda:N (default: cuda:LOCAL_RANK when there is a GPU)")
    parser.add_argument("--backend", choices=["gloo", "nccl"], help="default: nccl on a GPU, gloo on the CPU")
    parser.add_argument("--checkpoint-dir", help="write a checkpoint here after every epoch (rank 0)")
    parser.add_argument("--keep-checkpoints", type=int, default=2, help="latest checkpoints kept (default 2)")
    parser.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --checkpoint-dir")
    parser.add_argument("--save-model", help="write the trained model as an .esmclab file the lab reads (rank 0)")
    parser.add_argument("--predict-batch-size", type=int, default=8192)
    args = parser.parse_args(argv)
    args.parts = [part.strip() for part in args.parts.split(",") if part.strip()]
    unknown = [part for part in args.parts if part not in PARTS]
    if unknown or not args.parts:
        parser.error(f"--parts takes a comma-separated list of {', '.join(PARTS)}")
    if args.resume and not args.checkpoint_dir:
        parser.error("--resume needs --checkpoint-dir")
    for name in ("epochs", "batch_size", "predict_batch_size"):
        value = getattr(args, name)
        if value is not None and value < (0 if name == "epochs" else 1):
            parser.error(f"--{name.replace('_', '-')} must be {'≥ 0' if name == 'epochs' else '≥ 1'}")
    return args


def training_settings(entry: dict, args: argparse.Namespace) -> dict:
    """The export's training settings with the flags' overrides."""
    given = entry.get("training", {})
    chosen = {
        "epochs": args.epochs if args.epochs is not None else given.get("epochs", 1),
        "batchSize": args.batch_size if args.batch_size is not None else given.get("batchSize", 512),
        "learningRate": args.learning_rate if args.learning_rate is not None else given.get("learningRate", 1e-3),
        "weightDecay": args.weight_decay if args.weight_decay is not None else given.get("weightDecay", 0.0),
        "seed": args.seed if args.seed is not None else given.get("seed", 1),
    }
    return {
        **chosen,
        "epochs": int(chosen["epochs"]),
        "batchSize": int(chosen["batchSize"]),
        "seed": int(chosen["seed"]),
    }


class LossOf(nn.Module):
    """What DDP wraps: forward is the model's weighted loss, so its gradient hooks see every step."""

    def __init__(self, model: EntireSpaceModel):
        super().__init__()
        self.model = model

    def forward(self, inputs: dict, labels: dict):
        return self.model.loss(inputs, labels)


def log(context: distributed.Context, record: dict) -> None:
    if context.main:
        print(json.dumps(record), flush=True)


def run(argv: list[str] | None = None) -> dict:
    """The whole run; returns the summary (on every rank) and, under "model_object", the trained model."""
    args = parse_args(argv)
    started = time.perf_counter()
    context = distributed.setup(args.device, args.backend)
    try:
        return train(args, context, started)
    finally:
        distributed.teardown(context)


def train(args: argparse.Namespace, context: distributed.Context, started: float) -> dict:
    export = load_export(args.export)
    entry = export.model_entry(args.model)
    header, tensors = read_model_file(export.root / entry["file"])
    if header["model"] != args.model:
        raise ExportError(f"{entry['file']} holds model {header['model']!r}, not {args.model!r}")
    if args.model in NEEDS_ACTION and not export.has_action:
        raise ExportError(f"{args.model} needs an in-shop action label, and this export has none")
    settings = training_settings(entry, args)
    model = create_model(args.model, header["schema"], model_config(header))
    assign_weights(model, tensors, str(export.root / entry["file"]))
    model.to(context.device)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=settings["learningRate"], weight_decay=settings["weightDecay"], **ADAM
    )

    first_epoch, step = 1, 0
    if args.resume:
        found = latest_checkpoint(args.checkpoint_dir)
        if found is not None:
            state = load_checkpoint(found, args.model)
            assign_weights(model, state["weights"], str(found))
            optimizer.load_state_dict(state["optimizer"])
            first_epoch, step = int(state["epoch"]) + 1, int(state["step"])
            if state.get("world") != context.world:
                print(
                    f"{found} was written by {state.get('world')} ranks, this run has {context.world}: the batches "
                    "differ from an uninterrupted run's",
                    file=sys.stderr,
                )
            log(context, {"resumed": str(found), "epoch": int(state["epoch"]), "step": step})
        elif context.main:
            print(f"no checkpoint in {args.checkpoint_dir}: starting at epoch 1", file=sys.stderr)

    train_rows: TensorRows | None = None
    total = export.part_rows("train")
    rows_per_rank, local_batch, steps = steps_per_epoch(total, context.world, settings["batchSize"])
    if first_epoch <= settings["epochs"] and total < context.world:
        raise ExportError(f"the train part has {total} rows, fewer than the {context.world} ranks")
    module = LossOf(model)
    if context.distributed:
        device_ids = [context.device.index] if context.device.type == "cuda" else None
        module = nn.parallel.DistributedDataParallel(module, device_ids=device_ids)
    train_loss = None
    for epoch in range(first_epoch, settings["epochs"] + 1):
        if train_rows is None:
            train_rows = read_shard(export, "train", context.rank, context.world).torch()
        epoch_started = time.perf_counter()
        model.train()
        torch.manual_seed(hash_seed(settings["seed"], model.config.get("seed", 0), epoch, context.rank))
        order = torch.from_numpy(
            epoch_order(len(train_rows.row_id), rows_per_rank, settings["seed"], epoch, context.rank)
        )
        sums: dict[str, torch.Tensor] = {}
        for s in range(steps):
            inputs, labels = train_rows.batch(order[s * local_batch : (s + 1) * local_batch], context.device)
            optimizer.zero_grad(set_to_none=True)
            total_loss, terms = module(inputs, labels)
            total_loss.backward()
            optimizer.step()
            step += 1
            for name, value in {"total": total_loss, **terms}.items():
                sums[name] = sums.get(name, 0) + value.detach().double()
        names = list(sums)
        summed = distributed.sum_over_ranks(context, [float(sums[name]) for name in names])
        train_loss = {name: value / (steps * context.world) for name, value in zip(names, summed)}
        seconds = time.perf_counter() - epoch_started
        rows = rows_per_rank * context.world  # walked by all ranks, padding included
        log(
            context,
            {
                "epoch": epoch,
                "step": step,
                "train_loss": train_loss["total"],
                "terms": {name: value for name, value in train_loss.items() if name != "total"},
                "seconds": round(seconds, 3),
                "rows_per_second": round(rows / seconds, 1) if seconds > 0 else None,
            },
        )
        if args.checkpoint_dir:
            if context.main:
                info = {"model": args.model, "epoch": epoch, "step": step, "world": context.world, "settings": settings}
                weights = {name: torch.from_numpy(value) for name, value in model_tensors(model).items()}
                save_checkpoint(args.checkpoint_dir, info, weights, optimizer.state_dict(), keep=args.keep_checkpoints)
            distributed.barrier(context)

    model.eval()
    replica_difference = distributed.replica_difference(context, list(model.parameters()))
    predicted = write_predictions(args, export, model, context, train_rows)
    if args.save_model and context.main:
        meta = {"trainedBy": "esmc_torch", "epochs": settings["epochs"], "steps": step, "world": context.world}
        save_model(args.save_model, model, header, meta)
    summary = {
        "summary": True,
        "model": args.model,
        "world": context.world,
        "backend": context.backend,
        "device": str(context.device),
        "epochs": settings["epochs"],
        "steps": step,
        "steps_per_epoch": steps,
        "batch_size": local_batch * context.world,
        "local_batch_size": local_batch,
        "learning_rate": settings["learningRate"],
        "train_loss": train_loss["total"] if train_loss else None,
        "replica_max_abs_difference": replica_difference,
        "predictions": str(args.out),
        "predicted_rows": predicted,
        "seconds": round(time.perf_counter() - started, 3),
    }
    log(context, summary)
    return {**summary, "model_object": model}


def write_predictions(args, export, model, context, train_rows: TensorRows | None) -> int:
    tables = []
    for part in args.parts:
        rows = train_rows if part == "train" and train_rows is not None else None
        if rows is None:
            rows = read_shard(export, part, context.rank, context.world).torch()
        stages = predict(model, rows, context.device, args.predict_batch_size)
        columns = export.manifest.get("predictions", {}).get("columns")
        tables.append(prediction_table(rows.row_id.numpy(), stages, columns))
    write_part(args.out, context.rank, context.world, pa.concat_tables(tables))
    distributed.barrier(context)
    expected = sum(export.part_rows(part) for part in args.parts)
    if context.main:
        join_parts(args.out, context.world, expected)
    distributed.barrier(context)
    return expected


def hash_seed(*values: int) -> int:
    """One 63-bit seed from several integers (stable across runs and machines, unlike hash())."""
    seed = 0x9E3779B97F4A7C15
    for value in values:
        seed = (seed ^ (int(value) & 0xFFFFFFFFFFFFFFFF)) * 0x100000001B3 & 0xFFFFFFFFFFFFFFFF
    return seed >> 1


def main(argv: list[str] | None = None) -> int:
    try:
        run(argv)
    except (ValueError, OSError, PredictionError) as error:
        print(f"esmc_torch.train: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
