"""A lab export (`esmc-lab export --out DIR`) read in shards, and the order each rank walks its shard in.

Sharding. A part's rows are numbered 0..N-1 in the order of its files (as export.json lists them) and, within a
file, of its row groups. Rank r of W owns the contiguous range [N·r // W, N·(r+1) // W): shards are disjoint, cover
every row, and differ in size by at most one row. A rank reads only the row groups that overlap its range (Parquet
metadata gives each row group's size without reading it), so no rank holds more than its share plus two row groups
while reading.

Equal steps. DistributedDataParallel needs every rank to take the same number of optimiser steps, or the ranks wait
on each other forever. Every rank therefore walks n_max = ceil(N / W) rows per epoch: its shard in a shuffled
order, and a rank whose shard is one row short repeats the first row of that order (DistributedSampler's padding:
at most W − 1 rows of an epoch are seen twice). The global batch B is cut into a local batch b = ceil(B / W) per
rank, so every rank takes ceil(n_max / b) steps, each of the same size on every rank (the last one shorter), and
DDP's average of the ranks' gradients is the gradient of the b·W rows of the step. Both numbers follow from N, W
and B alone: no rank needs to ask the others.

Shuffling. Each epoch's order is a permutation of the rank's shard drawn from (seed, epoch, rank): the same run
gives the same batches, and a run resumed after epoch k walks the same orders as one that was never stopped.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch

EXPORT_FORMAT = "esmc-lab-export"
EXPORT_VERSION = 1
PARTS = ("train", "validation", "test")


class ExportError(ValueError):
    """The export folder is not one this version reads, or its files disagree with export.json."""


@dataclass
class Export:
    root: Path
    manifest: dict

    @property
    def schema(self) -> dict:
        return self.manifest["schema"]

    @property
    def columns(self) -> dict:
        return self.manifest["columns"]

    @property
    def has_action(self) -> bool:
        return "action" in self.manifest.get("labels", []) and bool(self.columns.get("action"))

    def part_files(self, part: str) -> list[Path]:
        if part not in self.manifest["parts"]:
            raise ExportError(f"{self.root}: export.json has no part {part!r}")
        return [self.root / name for name in self.manifest["parts"][part]["files"]]

    def part_rows(self, part: str) -> int:
        return int(self.manifest["parts"][part]["rows"])

    def model_entry(self, name: str) -> dict:
        models = self.manifest.get("models", {})
        if name not in models:
            listed = ", ".join(models) or "none"
            raise ExportError(f"{self.root}: the export has no model {name!r} (it has {listed})")
        return models[name]


def load_export(root: str | os.PathLike) -> Export:
    root = Path(root)
    path = root / "export.json"
    if not path.is_file():
        raise ExportError(f"{root} has no export.json; write one with `esmc-lab export --out {root}`")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != EXPORT_FORMAT:
        raise ExportError(f"{path} is not an ESMC Lab export")
    if manifest.get("version", 0) > EXPORT_VERSION:
        raise ExportError(
            f"{path} was written by a newer ESMC Lab (export format {manifest['version']}); "
            f"this version reads {EXPORT_VERSION}"
        )
    columns, schema = manifest["columns"], manifest["schema"]
    for kind in ("categorical", "multiHot", "dense"):
        if len(columns.get(kind, [])) != len(schema.get(kind, [])):
            raise ExportError(f"{path}: columns.{kind} does not name one column per schema field")
    return Export(root, manifest)


# ---------------------------------------------------------------------------------------------------------------
# Shards
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowGroup:
    """One row group of one file, and where its rows start in the part's numbering."""

    file: Path
    index: int
    start: int
    rows: int


def row_groups(files: list[Path]) -> list[RowGroup]:
    groups, start = [], 0
    for file in files:
        metadata = pq.ParquetFile(file).metadata
        for index in range(metadata.num_row_groups):
            rows = metadata.row_group(index).num_rows
            groups.append(RowGroup(file, index, start, rows))
            start += rows
    return groups


def shard_range(total: int, rank: int, world: int) -> tuple[int, int]:
    """Rank `rank`'s rows [start, stop) of a part of `total` rows."""
    return total * rank // world, total * (rank + 1) // world


def steps_per_epoch(total: int, world: int, batch_size: int) -> tuple[int, int, int]:
    """(rows each rank walks per epoch, local batch, steps): the same on every rank."""
    rows = math.ceil(total / world)
    local_batch = math.ceil(batch_size / world)
    return rows, local_batch, math.ceil(rows / local_batch)


def epoch_order(shard_rows: int, rows: int, seed: int, epoch: int, rank: int) -> np.ndarray:
    """The positions in its shard a rank walks in epoch `epoch`: a permutation drawn from (seed, epoch, rank),
    padded to `rows` by repeating its first positions."""
    if shard_rows == 0:
        raise ExportError("a rank has no training rows: the train part has fewer rows than there are ranks")
    generator = np.random.default_rng(np.random.SeedSequence([seed & 0xFFFFFFFF, epoch, rank]))
    order = generator.permutation(shard_rows)
    return np.concatenate([order, order[: rows - shard_rows]]) if rows > shard_rows else order


# ---------------------------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Rows:
    """A shard's rows as the model reads them."""

    row_id: np.ndarray  # int64 [n]
    categorical: np.ndarray  # int64 [n, F], ids in [0, vocab)
    multi_hot: list[np.ndarray] = field(default_factory=list)  # per field int64 [n, maxLength], -1 = padding
    dense: np.ndarray | None = None  # float32 [n, D]
    labels: dict[str, np.ndarray] = field(default_factory=dict)  # click, purchase (and action): float32 0/1

    def __len__(self) -> int:
        return int(self.row_id.shape[0])

    def torch(self) -> TensorRows:
        return TensorRows(
            torch.from_numpy(self.row_id),
            torch.from_numpy(self.categorical),
            [torch.from_numpy(ids) for ids in self.multi_hot],
            torch.from_numpy(self.dense),
            {name: torch.from_numpy(values) for name, values in self.labels.items()},
        )


@dataclass
class TensorRows:
    row_id: torch.Tensor
    categorical: torch.Tensor
    multi_hot: list[torch.Tensor]
    dense: torch.Tensor
    labels: dict[str, torch.Tensor]

    def batch(self, index: torch.Tensor | slice, device: torch.device) -> tuple[dict, dict[str, torch.Tensor]]:
        """The model's inputs and labels of the rows at `index`, on `device`."""
        inputs = {
            "categorical": self.categorical[index].to(device, non_blocking=True),
            "multi_hot": [ids[index].to(device, non_blocking=True) for ids in self.multi_hot],
            "dense": self.dense[index].to(device, non_blocking=True),
        }
        return inputs, {name: values[index].to(device, non_blocking=True) for name, values in self.labels.items()}


def read_shard(export: Export, part: str, rank: int = 0, world: int = 1) -> Rows:
    """Rank `rank`'s rows of `part`, read from the row groups that overlap its range only."""
    groups = row_groups(export.part_files(part))
    total = groups[-1].start + groups[-1].rows if groups else 0
    if total != export.part_rows(part):
        raise ExportError(
            f"{export.root}: the {part} part's files hold {total} rows; export.json says {export.part_rows(part)}"
        )
    start, stop = shard_range(total, rank, world)
    columns = export.columns
    labels = ["click", "purchase"] + (["action"] if export.has_action else [])
    names = [columns["rowId"]] + [columns[label] for label in labels]
    names += list(columns["categorical"]) + list(columns["multiHot"]) + list(columns["dense"])
    tables = []
    for group in groups:
        lo, hi = max(start, group.start), min(stop, group.start + group.rows)
        if lo >= hi:
            continue
        table = pq.ParquetFile(group.file).read_row_group(group.index, columns=names)
        tables.append(table.slice(lo - group.start, hi - lo))
    if tables:
        table = pa.concat_tables(tables)
    else:
        table = pq.ParquetFile(groups[0].file).schema_arrow.empty_table().select(names) if groups else None
    return rows_of(table, export, labels, where=f"{export.root} ({part})")


def rows_of(table: pa.Table | None, export: Export, labels: list[str], where: str) -> Rows:
    schema, columns = export.schema, export.columns
    n = 0 if table is None else table.num_rows

    def column(name: str) -> pa.ChunkedArray:
        if table is None or name not in table.column_names:
            raise ExportError(f"{where}: no column {name!r}")
        return table.column(name)

    def numbers(name: str, dtype) -> np.ndarray:
        return column(name).fill_null(0).to_numpy().astype(dtype) if n else np.zeros(0, dtype)

    row_id = numbers(columns["rowId"], np.int64)
    categorical = np.zeros((n, len(schema["categorical"])), dtype=np.int64)
    for f, (spec, name) in enumerate(zip(schema["categorical"], columns["categorical"])):
        categorical[:, f] = numbers(name, np.int64)
        check_ids(categorical[:, f], spec["vocabSize"], name, where)
    multi_hot = []
    for spec, name in zip(schema["multiHot"], columns["multiHot"]):
        ids = padded_bags(column(name), spec["maxLength"], n)
        check_ids(ids[ids >= 0], spec["vocabSize"], name, where)
        multi_hot.append(ids)
    dense = np.zeros((n, len(schema["dense"])), dtype=np.float32)
    for d, name in enumerate(columns["dense"]):
        dense[:, d] = numbers(name, np.float32)
    return Rows(
        row_id=row_id,
        categorical=categorical,
        multi_hot=multi_hot,
        dense=dense,
        labels={label: (numbers(columns[label], np.float64) != 0).astype(np.float32) for label in labels},
    )


def check_ids(ids: np.ndarray, vocab: int, name: str, where: str) -> None:
    if ids.size and (ids.min() < 0 or ids.max() >= vocab):
        bad = ids[(ids < 0) | (ids >= vocab)][0]
        raise ExportError(f"{where}: column {name!r} has id {bad}, outside the field's vocabulary [0, {vocab})")


def padded_bags(column: pa.ChunkedArray, max_length: int, n: int) -> np.ndarray:
    """LIST<INT> bags as [n, max_length] ids: the first max_length of each bag, then -1 (null bags are empty)."""
    out = np.full((n, max_length), -1, dtype=np.int64)
    if n == 0 or max_length == 0:
        return out
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if isinstance(array, pa.LargeListArray) or isinstance(array, pa.ListArray):
        offsets = array.offsets.to_numpy().astype(np.int64)
        values = array.values.fill_null(-1).to_numpy().astype(np.int64)
    else:
        raise ExportError(f"column of type {array.type} is not a list of ids")
    lengths = np.diff(offsets)
    if array.null_count:
        lengths = np.where(array.is_valid().to_numpy(zero_copy_only=False), lengths, 0)
    lengths = np.minimum(lengths, max_length)
    rows = np.repeat(np.arange(n), lengths)
    firsts = np.cumsum(lengths) - lengths
    slots = np.arange(int(lengths.sum())) - np.repeat(firsts, lengths)
    out[rows, slots] = values[np.repeat(offsets[:-1], lengths) + slots]
    return out
