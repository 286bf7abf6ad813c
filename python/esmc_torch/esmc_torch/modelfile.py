"""The lab's model file (`.esmclab`, src-main/engine/train/checkpoint.ts), read and written.

    "ESMCLAB1"                      8 bytes
    header length                   little-endian u32, padding included
    header                          JSON {format: "esmc-lab-model", version: 1, model, config, schema, encoding,
                                    meta, tensors: [{name, shape, offset, length}]}, padded with spaces so that
                                    the data starts at a multiple of 4 bytes
    data                            every tensor as little-endian float32; offset and length count floats from
                                    the start of the data

Tensor names are the engine's, which `EntireSpaceModel.named_weights()` uses too ("embedding", "ctr.0.kernel",
"ctr.out.bias", ...): weights move between the lab and PyTorch by name, and a missing name or a different shape is
an error rather than a silent partial load.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np
import torch

from .files import written_atomically
from .models import EntireSpaceModel, create_model

MAGIC = b"ESMCLAB1"
FORMAT = "esmc-lab-model"
VERSION = 1

# What a config written before these settings existed means (src-shared/settings.ts).
DEFAULT_COUNTERFACTUAL = {"maxWeight": 15, "normalise": "exposures"}


class ModelFileError(ValueError):
    """The file is not a model file this version reads, or its tensors do not fit the model."""


def read_model_file(path: str | os.PathLike) -> tuple[dict, dict[str, np.ndarray]]:
    """The header and every tensor (float32 arrays in their shapes) of a model file."""
    path = Path(path)
    data = path.read_bytes()
    prefix = len(MAGIC) + 4
    if len(data) < prefix or data[: len(MAGIC)] != MAGIC:
        raise ModelFileError(f"{path} is not an ESMC Lab model file")
    (header_length,) = struct.unpack_from("<I", data, len(MAGIC))
    if prefix + header_length > len(data):
        raise ModelFileError(f"{path} is truncated (header of {header_length} bytes)")
    try:
        header = json.loads(data[prefix : prefix + header_length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"{path}: the header is not JSON ({error})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not an ESMC Lab model file")
    if header.get("version", 0) > VERSION:
        raise ModelFileError(
            f"{path} was written by a newer ESMC Lab (model format {header['version']}); this version reads {VERSION}"
        )
    floats = np.frombuffer(
        data, dtype="<f4", offset=prefix + header_length, count=(len(data) - prefix - header_length) // 4
    )
    tensors = {}
    for entry in header.get("tensors", []):
        name, shape, offset, length = entry["name"], list(entry["shape"]), entry["offset"], entry["length"]
        if offset + length > floats.size:
            raise ModelFileError(f"{path} is truncated (tensor {name})")
        if int(np.prod(shape, dtype=np.int64)) != length:
            raise ModelFileError(f"{path}: tensor {name} has {length} values, not the {shape} its shape says")
        tensors[name] = floats[offset : offset + length].astype(np.float32).reshape(shape)
    return header, tensors


def write_model_file(path: str | os.PathLike, header: dict, tensors: dict[str, np.ndarray]) -> None:
    """Writes `header` (its `tensors` index replaced by the given tensors, in order) and the tensors, atomically:
    a temporary file beside `path`, renamed over it once complete."""
    path = Path(path)
    arrays = {name: np.ascontiguousarray(value, dtype="<f4") for name, value in tensors.items()}
    index, offset = [], 0
    for name, array in arrays.items():
        index.append({"name": name, "shape": list(array.shape), "offset": offset, "length": int(array.size)})
        offset += int(array.size)
    body = json.dumps({**header, "format": FORMAT, "version": VERSION, "tensors": index}, separators=(",", ":"))
    header_bytes = body.encode("utf-8")
    padding = (4 - (len(MAGIC) + 4 + len(header_bytes)) % 4) % 4
    with written_atomically(path) as temporary, open(temporary, "wb") as file:
        file.write(MAGIC)
        file.write(struct.pack("<I", len(header_bytes) + padding))
        file.write(header_bytes + b" " * padding)
        for array in arrays.values():
            file.write(array.tobytes())


def model_config(header: dict) -> dict:
    """The header's ModelConfig with the defaults of settings an older file leaves out."""
    config = dict(header["config"])
    config.setdefault("lossWeights", {})
    config["counterfactual"] = {**DEFAULT_COUNTERFACTUAL, **(config.get("counterfactual") or {})}
    return config


def assign_weights(model: EntireSpaceModel, tensors: dict, source: str = "the weights") -> None:
    """Copies every named tensor into the model. Every name the model has must be there with its shape, and no
    other name may be (a file of another model, or of another schema, is refused whole)."""
    params = model.named_weights()
    missing = [name for name in params if name not in tensors]
    if missing:
        raise ModelFileError(f"{source} lack {', '.join(missing)}")
    unknown = [name for name in tensors if name not in params]
    if unknown:
        raise ModelFileError(f"{source} have tensors this model does not: {', '.join(unknown)}")
    for name, param in params.items():
        shape = tuple(tensors[name].shape)
        if shape != tuple(param.shape):
            raise ModelFileError(f"{source}: {name} has shape {list(shape)}, the model's is {list(param.shape)}")
    with torch.no_grad():
        for name, param in params.items():
            value = tensors[name]
            value = value if isinstance(value, torch.Tensor) else torch.from_numpy(np.asarray(value, dtype=np.float32))
            param.copy_(value.to(dtype=param.dtype, device=param.device))


def load_model(path: str | os.PathLike) -> tuple[EntireSpaceModel, dict]:
    """The model a file holds, with its weights, and the file's header."""
    header, tensors = read_model_file(path)
    model = create_model(header["model"], header["schema"], model_config(header))
    assign_weights(model, tensors, str(path))
    return model, header


def model_tensors(model: EntireSpaceModel) -> dict[str, np.ndarray]:
    """Every weight under its engine name, as float32 arrays on the host."""
    return {
        name: param.detach().to("cpu", torch.float32).numpy().copy() for name, param in model.named_weights().items()
    }


def save_model(path: str | os.PathLike, model: EntireSpaceModel, header: dict, meta: dict | None = None) -> None:
    """Writes the model's current weights with `header`'s model, config, schema and encoding (those of the file it
    was loaded from), `meta` merged into the header's meta. `esmc-lab evaluate --model-file` reads the result."""
    base = {key: header[key] for key in ("model", "config", "schema") if key in header}
    written = {**base, "encoding": header.get("encoding"), "meta": {**(header.get("meta") or {}), **(meta or {})}}
    write_model_file(path, written, model_tensors(model))
