"""Shards: disjoint, complete and read from their own row groups; every rank walks the same number of equal steps."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path
from unittest import mock

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from helpers import make_export

from esmc_torch.data import (
    ExportError,
    epoch_order,
    load_export,
    padded_bags,
    read_shard,
    shard_range,
    steps_per_epoch,
)


class ShardTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        # 3 files per part, row groups of 16 rows: shards start and end inside files and row groups.
        cls.export = load_export(make_export(Path(cls.dir.name) / "export", rows=500, files=3, row_group=16))

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def test_ranges_are_disjoint_complete_and_balanced(self):
        for total in range(0, 40):
            for world in (1, 2, 3):
                ranges = [shard_range(total, rank, world) for rank in range(world)]
                self.assertEqual(ranges[0][0], 0)
                self.assertEqual(ranges[-1][1], total)
                for (_, stop), (start, _) in zip(ranges, ranges[1:]):
                    self.assertEqual(stop, start)
                sizes = [stop - start for start, stop in ranges]
                self.assertLessEqual(max(sizes) - min(sizes), 1)

    def test_shards_of_every_part_are_disjoint_and_complete(self):
        for part in ("train", "validation", "test"):
            files = self.export.part_files(part)
            self.assertEqual(len(files), 3)
            self.assertGreater(sum(pq.ParquetFile(f).metadata.num_row_groups for f in files), len(files))
            everything = pa.concat_tables([pq.read_table(f) for f in files])
            for world in (1, 2, 3):
                with self.subTest(part=part, world=world):
                    shards = [read_shard(self.export, part, rank, world) for rank in range(world)]
                    ids = np.concatenate([s.row_id for s in shards])
                    # In order, and together the part's rows exactly: disjoint and complete.
                    np.testing.assert_array_equal(ids, everything.column("row_id").to_numpy())
                    sizes = [len(s) for s in shards]
                    self.assertLessEqual(max(sizes) - min(sizes), 1)
                    dense = np.concatenate([s.dense[:, 0] for s in shards])
                    np.testing.assert_array_equal(dense, everything.column("dense.price").to_numpy())
                    users = np.concatenate([s.categorical[:, 0] for s in shards])
                    np.testing.assert_array_equal(users, everything.column("cat.user").to_numpy())
                    click = np.concatenate([s.labels["click"] for s in shards])
                    np.testing.assert_array_equal(click, everything.column("click").to_numpy().astype(np.float32))

    def test_a_rank_reads_only_the_row_groups_of_its_range(self):
        reads = []
        original = pq.ParquetFile.read_row_group

        def counting(self, index, *args, **kwargs):
            reads.append(index)
            return original(self, index, *args, **kwargs)

        with mock.patch.object(pq.ParquetFile, "read_row_group", counting):
            shard = read_shard(self.export, "train", 1, 3)
        # 400 train rows in 3 files of ~133 rows, groups of 16: rank 1's 133 rows span at most 11 groups.
        self.assertEqual(len(shard), 133)
        self.assertLessEqual(len(reads), 11)

    def test_bags_are_padded_truncated_and_null_safe(self):
        ids = pa.list_(pa.int32())
        column = pa.chunked_array([pa.array([[1, 2], [], None, [3, 4, 5, 6]], type=ids), pa.array([[6]], type=ids)])
        np.testing.assert_array_equal(
            padded_bags(column, 3, 5), [[1, 2, -1], [-1, -1, -1], [-1, -1, -1], [3, 4, 5], [6, -1, -1]]
        )
        sliced = pa.array([[9], [1, 2], [3]], type=pa.list_(pa.int32())).slice(1, 2)
        np.testing.assert_array_equal(padded_bags(pa.chunked_array([sliced]), 2, 2), [[1, 2], [3, -1]])

    def test_an_id_outside_the_vocabulary_is_refused(self):
        root = Path(self.dir.name) / "bad"
        export = load_export(make_export(root, rows=50, files=1))
        path = export.part_files("test")[0]
        table = pq.read_table(path)
        users = table.column("cat.user").to_numpy().copy()
        users[2] = 21
        pq.write_table(table.set_column(table.schema.get_field_index("cat.user"), "cat.user", pa.array(users)), path)
        with self.assertRaisesRegex(ExportError, r"'cat.user' has id 21, outside the field's vocabulary \[0, 21\)"):
            read_shard(export, "test")

    def test_a_part_whose_files_disagree_with_export_json_is_refused(self):
        root = Path(self.dir.name) / "short"
        export = load_export(make_export(root, rows=50, files=2))
        export.manifest["parts"]["test"]["files"] = export.manifest["parts"]["test"]["files"][:1]
        with self.assertRaisesRegex(ExportError, "export.json says"):
            read_shard(export, "test")


class StepTest(unittest.TestCase):
    def test_every_rank_takes_the_same_steps_of_the_same_sizes(self):
        for total in (1, 2, 3, 7, 64, 100, 101, 257):
            for world in (1, 2, 3):
                if total < world:
                    continue
                for batch in (1, 2, 5, 32, 64, 1000):
                    rows, local, steps = steps_per_epoch(total, world, batch)
                    per_rank = []
                    for rank in range(world):
                        start, stop = shard_range(total, rank, world)
                        order = epoch_order(stop - start, rows, seed=3, epoch=2, rank=rank)
                        sizes = [len(order[s * local : (s + 1) * local]) for s in range(steps)]
                        self.assertEqual(sum(sizes), len(order))
                        self.assertTrue(all(size > 0 for size in sizes))
                        # The whole shard, each row once, plus at most one repeated row.
                        self.assertEqual(set(order.tolist()), set(range(stop - start)))
                        self.assertLessEqual(len(order) - (stop - start), 1)
                        per_rank.append(sizes)
                    self.assertTrue(all(sizes == per_rank[0] for sizes in per_rank), (total, world, batch))

    def test_the_order_is_seeded_by_seed_epoch_and_rank(self):
        a = epoch_order(50, 50, seed=1, epoch=1, rank=0)
        np.testing.assert_array_equal(a, epoch_order(50, 50, seed=1, epoch=1, rank=0))
        self.assertFalse(np.array_equal(a, epoch_order(50, 50, seed=1, epoch=2, rank=0)))
        self.assertFalse(np.array_equal(a, epoch_order(50, 50, seed=2, epoch=1, rank=0)))
        self.assertFalse(np.array_equal(a, epoch_order(50, 50, seed=1, epoch=1, rank=1)))

    def test_a_rank_without_rows_is_an_error_not_a_hang(self):
        with self.assertRaisesRegex(ExportError, "fewer rows than there are ranks"):
            epoch_order(0, 1, seed=1, epoch=1, rank=2)


if __name__ == "__main__":
    unittest.main()
