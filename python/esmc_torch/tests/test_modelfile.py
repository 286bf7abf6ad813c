"""The lab's model file: written and read back byte-compatibly with src-main/engine/train/checkpoint.ts, and loads
that do not fit the model refused whole."""

from __future__ import annotations

import json
import struct
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch
from helpers import CONFIG, SCHEMA, initial_weights

from esmc_torch.modelfile import (
    MAGIC,
    ModelFileError,
    assign_weights,
    load_model,
    model_tensors,
    read_model_file,
    save_model,
    write_model_file,
)
from esmc_torch.models import MODELS, create_model


def header_of(model_name: str) -> dict:
    return {"model": model_name, "config": CONFIG, "schema": SCHEMA, "encoding": {"e": 1}, "meta": {"m": 2}}


class ModelFileTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = Path(self.dir.name) / "model.esmclab"

    def tearDown(self):
        self.dir.cleanup()

    def write(self, name="esmc", seed=0) -> dict:
        model = create_model(name, SCHEMA, CONFIG)
        weights = initial_weights(model, np.random.RandomState(seed), {"ctr": 0.3})
        write_model_file(self.path, header_of(name), weights)
        return weights

    def test_layout_is_the_labs(self):
        weights = self.write()
        data = self.path.read_bytes()
        self.assertEqual(data[:8], MAGIC)
        (length,) = struct.unpack_from("<I", data, 8)
        self.assertEqual((12 + length) % 4, 0, "the data starts at a multiple of 4 bytes")
        text = data[12 : 12 + length].decode("utf-8")
        self.assertLess(len(text) - len(text.rstrip(" ")), 4, "padded with at most 3 spaces")
        header = json.loads(text)
        self.assertEqual((header["format"], header["version"], header["model"]), ("esmc-lab-model", 1, "esmc"))
        self.assertEqual(header["encoding"], {"e": 1})
        floats = np.frombuffer(data[12 + length :], dtype="<f4")
        self.assertEqual(floats.size, sum(t["length"] for t in header["tensors"]))
        offset = 0
        for entry in header["tensors"]:
            self.assertEqual(entry["offset"], offset)
            np.testing.assert_array_equal(
                floats[offset : offset + entry["length"]].reshape(entry["shape"]), weights[entry["name"]]
            )
            offset += entry["length"]

    def test_round_trip_every_model(self):
        for name in MODELS:
            with self.subTest(model=name):
                weights = self.write(name)
                header, tensors = read_model_file(self.path)
                self.assertEqual(list(tensors), list(weights))
                for key, value in weights.items():
                    np.testing.assert_array_equal(tensors[key], value)
                model, loaded_header = load_model(self.path)
                self.assertEqual(loaded_header["model"], name)
                for key, value in model_tensors(model).items():
                    np.testing.assert_array_equal(value, weights[key])
                # Every trainable tensor has an engine name (what DDP and the optimiser see is what the file holds).
                named = {id(p) for p in model.named_weights().values()}
                self.assertEqual(named, {id(p) for p in model.parameters()})

    def test_save_model_keeps_the_header_and_writes_the_weights(self):
        self.write()
        model, header = load_model(self.path)
        with torch.no_grad():
            model.named_weights()["ctr.out.bias"].fill_(0.25)
        trained = Path(self.dir.name) / "trained.esmclab"
        save_model(trained, model, header, {"trainedBy": "test"})
        again, again_header = load_model(trained)
        self.assertEqual(again_header["encoding"], {"e": 1})
        self.assertEqual(again_header["meta"], {"m": 2, "trainedBy": "test"})
        self.assertEqual(float(again.named_weights()["ctr.out.bias"][0]), 0.25)
        self.assertEqual([p.name for p in Path(self.dir.name).iterdir() if p.name.startswith(".")], [])

    def test_refuses_what_is_not_a_model_file(self):
        self.path.write_bytes(b"PK\x03\x04 not a model")
        with self.assertRaisesRegex(ModelFileError, "not an ESMC Lab model file"):
            read_model_file(self.path)

    def test_refuses_a_newer_format(self):
        body = json.dumps({"format": "esmc-lab-model", "version": 2, "tensors": []}).encode()
        self.path.write_bytes(MAGIC + struct.pack("<I", len(body)) + body)
        with self.assertRaisesRegex(ModelFileError, "newer ESMC Lab"):
            read_model_file(self.path)

    def test_refuses_a_truncated_file(self):
        self.write()
        data = self.path.read_bytes()
        self.path.write_bytes(data[:-8])
        with self.assertRaisesRegex(ModelFileError, "truncated"):
            read_model_file(self.path)

    def test_refuses_a_missing_tensor_a_wrong_shape_and_an_unknown_name(self):
        model = create_model("esmc", SCHEMA, CONFIG)
        weights = model_tensors(model)
        missing = {k: v for k, v in weights.items() if k != "cvr.1.kernel"}
        with self.assertRaisesRegex(ModelFileError, "lack cvr.1.kernel"):
            assign_weights(model, missing, "the file")
        reshaped = {**weights, "embedding": np.zeros((3, 4), np.float32)}
        with self.assertRaisesRegex(ModelFileError, r"embedding has shape \[3, 4\]"):
            assign_weights(model, reshaped, "the file")
        with self.assertRaisesRegex(ModelFileError, "does not: buy_na.out.bias"):
            assign_weights(model, {**weights, "buy_na.out.bias": np.zeros(1, np.float32)}, "the file")

    def test_a_file_of_another_schema_does_not_load(self):
        self.write("esmm")
        header, tensors = read_model_file(self.path)
        other = {**SCHEMA, "dense": [{"name": "price"}, {"name": "age"}]}
        model = create_model("esmm", other, CONFIG)
        with self.assertRaisesRegex(ModelFileError, "ctr.0.kernel has shape"):
            assign_weights(model, tensors, str(self.path))


if __name__ == "__main__":
    unittest.main()
