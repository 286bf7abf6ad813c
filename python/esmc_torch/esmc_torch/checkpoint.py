"""Training checkpoints: after each epoch rank 0 writes the weights (by engine name), Adam's state, the epoch and the
step count to DIR/epoch-NNNN.pt, atomically (a temporary file renamed over the name), and keeps the latest few.
`--resume` continues from the latest. Shuffling and dropout are seeded from (seed, epoch, rank) at the start of every
epoch, so nothing else is needed for a resumed run to end with the weights of one that was never stopped.

A checkpoint holds tensors, strings and integers only, everything else as one JSON string, so that it loads with
`torch.load(weights_only=True)` (no code runs from the file) on torch 1.13, whose safe unpickler reads no floats.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import torch

from .files import written_atomically

FORMAT = "esmc-torch-checkpoint"
VERSION = 1
NAME = re.compile(r"^epoch-(\d+)\.pt$")


class CheckpointError(ValueError):
    """A checkpoint that does not belong to this run."""


def save_checkpoint(directory: str | os.PathLike, info: dict, weights: dict, optimizer: dict, keep: int = 2) -> Path:
    """Writes `info` (JSON: model, epoch, step, ...), the weights {name: tensor} and an optimiser's state_dict as
    DIR/epoch-NNNN.pt, and removes all but the latest `keep` checkpoints."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"epoch-{info['epoch']:04d}.pt"
    state = {
        "format": FORMAT,
        "version": VERSION,
        "info": json.dumps({**info, "param_groups": optimizer["param_groups"]}),
        "weights": {name: tensor.detach().cpu() for name, tensor in weights.items()},
        "optimizer_state": optimizer["state"],
    }
    with written_atomically(path) as temporary:
        torch.save(state, temporary)
    for old in checkpoints(directory)[:-keep] if keep > 0 else []:
        old.unlink(missing_ok=True)
    return path


def checkpoints(directory: str | os.PathLike) -> list[Path]:
    """The checkpoints in DIR, oldest first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [(int(m.group(1)), directory / m.group(0)) for m in map(NAME.match, os.listdir(directory)) if m]
    return [path for _, path in sorted(found)]


def latest_checkpoint(directory: str | os.PathLike) -> Path | None:
    found = checkpoints(directory)
    return found[-1] if found else None


def load_checkpoint(path: str | os.PathLike, model: str) -> dict:
    """{**info, "weights": {name: tensor}, "optimizer": state_dict} on the host; refused when the file is of another
    model or not a checkpoint at all."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # torch < 1.13 has no weights_only
        state = torch.load(path, map_location="cpu")
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an esmc_torch checkpoint")
    if state.get("version", 0) > VERSION:
        raise CheckpointError(f"{path} was written by a newer esmc_torch (checkpoint format {state['version']})")
    info = json.loads(state["info"])
    if info.get("model") != model:
        raise CheckpointError(f"{path} is a checkpoint of {info.get('model')!r}, not of {model!r}")
    optimizer = {"state": state["optimizer_state"], "param_groups": info.pop("param_groups")}
    return {**info, "weights": state["weights"], "optimizer": optimizer}
