"""The trainer in one process: predictions file layout, `--epochs 0` against the initial model, resume, every
model trains, checkpoints."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import unittest
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import torch
from helpers import STAGE_COLUMNS, make_export

from esmc_torch.checkpoint import CheckpointError, checkpoints, load_checkpoint
from esmc_torch.data import load_export, read_shard
from esmc_torch.modelfile import load_model, read_model_file
from esmc_torch.models import MODELS
from esmc_torch.predictions import predict
from esmc_torch.train import LossOf, main, run

ALL_MODELS = tuple(MODELS)


def quiet_run(argv: list[str]) -> tuple[dict, list[dict]]:
    """run() with its JSON lines captured."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        summary = run(argv)
    return summary, [json.loads(line) for line in out.getvalue().splitlines()]


class TrainTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.root = Path(cls.dir.name)
        cls.export = make_export(cls.root / "export", rows=400, models=ALL_MODELS, files=2, row_group=32)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def args(self, model: str, out: str, *more: str, export: Path | None = None) -> list[str]:
        return ["--export", str(export or self.export), "--model", model, "--out", str(self.root / out), *more]

    def test_epochs_0_predicts_with_the_initial_weights(self):
        summary, lines = quiet_run(self.args("esmc", "initial.parquet", "--epochs", "0"))
        self.assertEqual(summary["steps"], 0)
        self.assertEqual([line for line in lines if "epoch" in line and "summary" not in line], [])
        table = pq.read_table(self.root / "initial.parquet")
        export = load_export(self.export)
        model, _ = load_model(self.export / "models" / "esmc.esmclab")
        rows = {}
        for part in ("train", "validation", "test"):
            shard = read_shard(export, part).torch()
            for stage, values in predict(model, shard, torch.device("cpu")).items():
                rows.setdefault(stage, []).append(values)
            rows.setdefault("row_id", []).append(shard.row_id.numpy())
        order = np.argsort(np.concatenate(rows.pop("row_id")))
        for stage, values in rows.items():
            expected = np.concatenate(values)[order]
            np.testing.assert_allclose(table.column(STAGE_COLUMNS[stage]).to_numpy(), expected, rtol=1e-6, atol=1e-9)

    def test_a_rank_without_rows_of_a_part_predicts_nothing_with_the_models_columns(self):
        export = load_export(self.export)
        empty = read_shard(export, "test", rank=0, world=len(read_shard(export, "test")) + 1).torch()
        self.assertEqual(len(empty.row_id), 0)
        model, _ = load_model(self.export / "models" / "chain.esmclab")
        stages = predict(model, empty, torch.device("cpu"))
        self.assertEqual(sorted(stages), sorted(STAGE_COLUMNS))
        self.assertTrue(all(values.shape == (0,) for values in stages.values()))

    def test_predictions_hold_each_requested_row_once_with_the_models_columns(self):
        export = load_export(self.export)
        cases = [
            ("esmc", "train,validation,test", "all.parquet", ["p_ctr", "p_avr", "p_cvr", "p_ctavr", "p_ctcvr"]),
            ("esmm", "test,validation", "some.csv", ["p_ctr", "p_cvr", "p_ctcvr"]),
            ("chain", "test", "chain.parquet", list(STAGE_COLUMNS.values())),
        ]
        for model, parts, out, columns in cases:
            with self.subTest(model=model):
                quiet_run(self.args(model, out, "--parts", parts, "--epochs", "1"))
                path = self.root / out
                table = pacsv.read_csv(path) if out.endswith(".csv") else pq.read_table(path)
                self.assertEqual(table.column_names, ["row_id", *columns])
                if not out.endswith(".csv"):
                    self.assertEqual(str(table.schema.field("row_id").type), "int32")
                    self.assertTrue(all(str(table.schema.field(c).type) == "double" for c in columns))
                ids = table.column("row_id").to_numpy()
                expected = np.sort(np.concatenate([read_shard(export, p).row_id for p in parts.split(",")]))
                np.testing.assert_array_equal(ids, expected)
                for column in columns:
                    values = table.column(column).to_numpy()
                    self.assertTrue(np.all((values >= 0) & (values <= 1)), column)
                self.assertEqual([p.name for p in self.root.iterdir() if p.name.startswith(f".{out}")], [])

    def test_resumed_after_epoch_k_ends_with_the_uninterrupted_weights(self):
        # Dropout on: the resumed run must draw the same masks too.
        export = make_export(
            self.root / "dropout", rows=300, config={"tower": {"hidden": [8, 4], "activation": "relu", "dropout": 0.3}}
        )
        whole, _ = quiet_run(
            self.args(
                "esmc",
                "whole.parquet",
                "--epochs",
                "3",
                "--save-model",
                str(self.root / "whole.esmclab"),
                export=export,
            )
        )
        folder = self.root / "checkpoints"
        quiet_run(self.args("esmc", "part.parquet", "--epochs", "1", "--checkpoint-dir", str(folder), export=export))
        self.assertEqual([p.name for p in checkpoints(folder)], ["epoch-0001.pt"])
        resumed, lines = quiet_run(
            self.args(
                "esmc",
                "resumed.parquet",
                "--epochs",
                "3",
                "--checkpoint-dir",
                str(folder),
                "--resume",
                "--save-model",
                str(self.root / "resumed.esmclab"),
                export=export,
            )
        )
        self.assertEqual(lines[0], {"resumed": str(folder / "epoch-0001.pt"), "epoch": 1, "step": whole["steps"] // 3})
        self.assertEqual([line["epoch"] for line in lines if "train_loss" in line and "summary" not in line], [2, 3])
        self.assertEqual(resumed["steps"], whole["steps"])
        _, a = read_model_file(self.root / "whole.esmclab")
        _, b = read_model_file(self.root / "resumed.esmclab")
        for name in a:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)
        _, initial = read_model_file(export / "models" / "esmc.esmclab")
        self.assertFalse(np.array_equal(a["cvr.0.kernel"], initial["cvr.0.kernel"]), "it trained")
        # The latest two checkpoints are kept; the predictions are those of the same weights.
        self.assertEqual([p.name for p in checkpoints(folder)], ["epoch-0002.pt", "epoch-0003.pt"])
        np.testing.assert_array_equal(
            pq.read_table(self.root / "whole.parquet").column("p_cvr").to_numpy(),
            pq.read_table(self.root / "resumed.parquet").column("p_cvr").to_numpy(),
        )

    def test_a_checkpoint_of_another_model_is_refused(self):
        folder = self.root / "esmm-checkpoints"
        quiet_run(self.args("esmm", "esmm.parquet", "--epochs", "1", "--checkpoint-dir", str(folder)))
        with self.assertRaisesRegex(CheckpointError, "checkpoint of 'esmm', not of 'esmc'"):
            load_checkpoint(checkpoints(folder)[-1], "esmc")

    def test_every_model_trains_and_every_weight_gets_a_gradient(self):
        """DDP (find_unused_parameters off) needs a gradient for every parameter on every step."""
        export = load_export(self.export)
        rows = read_shard(export, "train").torch()
        inputs, labels = rows.batch(slice(0, 64), torch.device("cpu"))
        for name in ALL_MODELS:
            with self.subTest(model=name):
                model, _ = load_model(self.export / "models" / f"{name}.esmclab")
                total, _ = LossOf(model)(inputs, labels)
                total.backward()
                self.assertTrue(torch.isfinite(total))
                no_gradient = [k for k, p in model.named_weights().items() if p.grad is None]
                self.assertEqual(no_gradient, [])
        summary, _ = quiet_run(self.args("aitm", "aitm.parquet", "--epochs", "2", "--parts", "test"))
        self.assertLess(summary["train_loss"], 10)

    def test_an_export_without_action_trains_esmm_and_refuses_esmc(self):
        export = make_export(self.root / "no-action", rows=200, models=("esmm", "esmc"), has_action=False)
        summary, _ = quiet_run(self.args("esmm", "no-action.parquet", "--epochs", "1", export=export))
        self.assertEqual(summary["predicted_rows"], 200)
        with contextlib.redirect_stderr(io.StringIO()) as err:
            self.assertEqual(main(self.args("esmc", "x.parquet", export=export)), 1)
        self.assertIn("esmc needs an in-shop action label", err.getvalue())

    def test_overrides_and_the_per_epoch_lines(self):
        summary, lines = quiet_run(
            self.args(
                "esmm",
                "o.parquet",
                "--epochs",
                "2",
                "--batch-size",
                "100",
                "--learning-rate",
                "0.05",
                "--seed",
                "7",
                "--parts",
                "test",
            )
        )
        epochs = [line for line in lines if "train_loss" in line and "summary" not in line]
        self.assertEqual([line["epoch"] for line in epochs], [1, 2])
        for line in epochs:
            self.assertEqual(set(line), {"epoch", "step", "train_loss", "terms", "seconds", "rows_per_second"})
            self.assertEqual(set(line["terms"]), {"ctr", "ctcvr"})
        self.assertEqual((summary["steps_per_epoch"], summary["batch_size"], summary["learning_rate"]), (4, 100, 0.05))
        self.assertEqual(lines[-1]["summary"], True)


if __name__ == "__main__":
    unittest.main()
