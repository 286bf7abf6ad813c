"""Every requested row's stage probabilities, in the file `esmc-lab import-predictions` reads: `row_id` (int32) and
one float64 column per stage the model serves (p_ctr, p_avr, p_cvr, p_ctavr, p_ctcvr, p_buy_given_action,
p_buy_given_no_action). Parquet, or CSV when the name ends with .csv.

Each rank scores its own shard and writes it as a hidden part file beside the output; after a barrier rank 0 joins
the parts, sorted by row id, checks that every row is there once, writes the file atomically and removes the parts.
On several nodes the output's folder must therefore be one every node sees (as the export's is).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import torch

from .data import TensorRows
from .files import written_atomically
from .models import EntireSpaceModel

# The engine's stages, in funnel order, and their columns (export.json's "predictions" says the same).
STAGE_COLUMNS = {
    "ctr": "p_ctr",
    "avr": "p_avr",
    "cvr": "p_cvr",
    "ctavr": "p_ctavr",
    "ctcvr": "p_ctcvr",
    "buyGivenAction": "p_buy_given_action",
    "buyGivenNoAction": "p_buy_given_no_action",
}


class PredictionError(RuntimeError):
    """The ranks' parts do not add up to every requested row once."""


@torch.no_grad()
def predict(model: EntireSpaceModel, rows: TensorRows, device: torch.device, batch_size: int = 8192) -> dict:
    """{stage: float64 array} for every row, in the rows' order, with the model in eval mode (no dropout)."""
    model.eval()
    n = rows.row_id.shape[0]
    chunks: dict[str, list[np.ndarray]] = {}
    for start in range(0, n, batch_size):
        inputs, _ = rows.batch(slice(start, min(start + batch_size, n)), device)
        for stage, p in model.predict(inputs).items():
            chunks.setdefault(stage, []).append(p.detach().to("cpu", torch.float64).numpy())
    if n == 0:  # a rank with no rows of this part: the stages the model serves, from one placeholder row
        inputs = {
            "categorical": torch.zeros((1, rows.categorical.shape[1]), dtype=torch.long, device=device),
            "multi_hot": [torch.full((1, ids.shape[1]), -1, dtype=torch.long, device=device) for ids in rows.multi_hot],
            "dense": torch.zeros((1, rows.dense.shape[1]), device=device),
        }
        return {stage: np.zeros(0) for stage in model.predict(inputs)}
    return {stage: np.concatenate(parts) for stage, parts in chunks.items()}


def prediction_table(row_id: np.ndarray, stages: dict, columns: dict | None = None) -> pa.Table:
    """row_id (int32) and the stages' columns in funnel order."""
    columns = {**STAGE_COLUMNS, **(columns or {})}
    unknown = [stage for stage in stages if stage not in columns]
    if unknown:
        raise PredictionError(f"no prediction column for stage(s) {', '.join(unknown)}")
    data = {"row_id": pa.array(np.asarray(row_id, dtype=np.int64), type=pa.int64()).cast(pa.int32())}
    for stage in STAGE_COLUMNS:
        if stage in stages:
            data[columns[stage]] = pa.array(np.asarray(stages[stage], dtype=np.float64), type=pa.float64())
    return pa.table(data)


def part_path(out: Path, rank: int, world: int) -> Path:
    return out.with_name(f".{out.name}.rank-{rank}-of-{world}.parquet")


def write_part(out: str | os.PathLike, rank: int, world: int, table: pa.Table) -> Path:
    path = part_path(Path(out), rank, world)
    with written_atomically(path) as temporary:
        pq.write_table(table, temporary)
    return path


def join_parts(out: str | os.PathLike, world: int, expected_rows: int) -> pa.Table:
    """Rank 0, after every rank wrote its part: the parts as one table sorted by row id, written to `out`
    atomically; the parts are removed. Refuses a missing part, a repeated row or a count other than expected."""
    out = Path(out)
    parts = [part_path(out, rank, world) for rank in range(world)]
    missing = [str(path) for path in parts if not path.exists()]
    if missing:
        raise PredictionError(
            f"rank 0 cannot see {', '.join(missing)}: --out must be on a filesystem every node shares"
        )
    table = pa.concat_tables([pq.read_table(path) for path in parts])
    table = table.take(pa.array(np.argsort(table.column("row_id").to_numpy(), kind="stable")))
    ids = table.column("row_id").to_numpy()
    if ids.size > 1 and np.any(ids[1:] == ids[:-1]):
        raise PredictionError(f"row {ids[1:][ids[1:] == ids[:-1]][0]} was predicted more than once")
    if table.num_rows != expected_rows:
        raise PredictionError(f"the ranks predicted {table.num_rows} rows; the requested parts have {expected_rows}")
    write_table(out, table)
    for path in parts:
        path.unlink()
    return table


def write_table(out: str | os.PathLike, table: pa.Table) -> None:
    """Parquet, or CSV when the name ends with .csv; a temporary file renamed over `out` once complete."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with written_atomically(out) as temporary:
        if out.suffix.lower() == ".csv":
            pacsv.write_csv(table, temporary)
        else:
            pq.write_table(table, temporary)
