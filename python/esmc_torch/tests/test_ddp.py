"""Ranks under torchrun (gloo, CPU): the replicas end with identical weights, every row is predicted once, and the
training is the single process's (exactly so for a full batch, where the ranks' averaged gradient is the batch's)."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import tempfile
import unittest
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from helpers import free_port, make_export, subprocess_env, torchrun_command

from esmc_torch.checkpoint import checkpoints
from esmc_torch.modelfile import read_model_file
from esmc_torch.torchrun import patch_std_parsing
from esmc_torch.train import run


class TorchrunTest(unittest.TestCase):
    def test_the_launchers_stream_settings_parse(self):
        from torch.distributed.elastic.multiprocessing.api import Std

        patch_std_parsing()
        self.assertEqual(Std.from_str("0"), Std.NONE)
        self.assertEqual(Std.from_str("3"), Std.ALL)
        self.assertEqual(Std.from_str("0:1,1:2"), {0: Std.OUT, 1: Std.ERR})
        with self.assertRaises(ValueError):
            Std.from_str("x")


class DistributedTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.root = Path(cls.dir.name)
        # 400 train rows: 200 per rank of 2, 134/133/133 for 3 (one rank repeats a row per epoch).
        cls.export = make_export(cls.root / "export", rows=500, files=3, row_group=32)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def torchrun(self, ranks: int, args: list[str]) -> list[dict]:
        command = torchrun_command(ranks, free_port()) + ["-m", "esmc_torch.train", *args]
        done = subprocess.run(command, env=subprocess_env(), capture_output=True, text=True, timeout=180)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]

    def single(self, args: list[str]) -> dict:
        with contextlib.redirect_stdout(io.StringIO()):
            return run(args)

    def test_two_ranks_on_a_full_batch_train_as_one_process(self):
        common = ["--export", str(self.export), "--model", "esmc", "--epochs", "3", "--batch-size", "400"]
        common += ["--learning-rate", "0.05", "--device", "cpu", "--parts", "test"]
        lines = self.torchrun(
            2,
            [
                *common,
                "--out",
                str(self.root / "full-ddp.parquet"),
                "--save-model",
                str(self.root / "full-ddp.esmclab"),
            ],
        )
        single = self.single(
            [*common, "--out", str(self.root / "full.parquet"), "--save-model", str(self.root / "full.esmclab")]
        )
        summary = lines[-1]
        self.assertEqual((summary["world"], summary["local_batch_size"], summary["steps"]), (2, 200, 3))
        self.assertAlmostEqual(summary["train_loss"], single["train_loss"], delta=1e-5)
        _, ddp = read_model_file(self.root / "full-ddp.esmclab")
        _, alone = read_model_file(self.root / "full.esmclab")
        _, initial = read_model_file(self.export / "models" / "esmc.esmclab")
        for name in alone:
            np.testing.assert_allclose(ddp[name], alone[name], atol=2e-5, err_msg=name)
        self.assertGreater(np.abs(alone["cvr.0.kernel"] - initial["cvr.0.kernel"]).max(), 0.05, "it trained")

    def test_three_ranks_on_mini_batches(self):
        common = ["--export", str(self.export), "--model", "esmc", "--epochs", "3", "--device", "cpu"]
        out = self.root / "mini"
        out.mkdir()
        lines = self.torchrun(
            3,
            [
                *common,
                "--out",
                str(out / "ddp.parquet"),
                "--save-model",
                str(out / "ddp.esmclab"),
                "--checkpoint-dir",
                str(out / "checkpoints"),
            ],
        )
        self.assertEqual([line.get("epoch") for line in lines[:-1]], [1, 2, 3], "one line per epoch, rank 0 only")
        summary = lines[-1]
        self.assertEqual((summary["world"], summary["backend"], summary["device"]), (3, "gloo", "cpu"))
        # Global batch 64: 22 rows per rank per step; 134 rows per rank per epoch: 7 steps on every rank.
        self.assertEqual((summary["local_batch_size"], summary["steps_per_epoch"], summary["steps"]), (22, 7, 21))
        self.assertEqual(summary["replica_max_abs_difference"], 0.0, "every rank ends with the same weights")

        table = pq.read_table(out / "ddp.parquet")
        ids = table.column("row_id").to_numpy()
        self.assertEqual(len(ids), 500)
        self.assertTrue(np.all(ids[1:] > ids[:-1]), "sorted, each row once")
        self.assertEqual(sorted(p.name for p in out.iterdir()), ["checkpoints", "ddp.esmclab", "ddp.parquet"])
        self.assertEqual([p.name for p in checkpoints(out / "checkpoints")], ["epoch-0002.pt", "epoch-0003.pt"])

        single = self.single([*common, "--out", str(out / "single.parquet")])
        self.assertAlmostEqual(summary["train_loss"], single["train_loss"], delta=0.06 * single["train_loss"])


if __name__ == "__main__":
    unittest.main()
