#!/usr/bin/env python3
"""Loads a model that `mnist_dp_ddp --save-model FILE.safetensors` wrote into
the Opacus tutorial's PyTorch SampleConvNet with load_state_dict, and prints
its test accuracy on the MNIST test split, to compare with the accuracy
veil printed for the same model.

Reads the file with `safetensors.torch.load_file` when that package is
installed, else with the format's definition (an 8-byte little-endian header
length, a JSON header of dtype, shape and byte offsets, then the raw data).
PyTorch is not a dependency of veil: this script is for checking interop.

    python3 scripts/check_pytorch_interop.py model.safetensors DATA_DIR
"""
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benchmarks"))
from pytorch_reference import SampleConvNet, load_split  # noqa: E402

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "U8": np.uint8}


def read_safetensors(path):
    try:
        from safetensors.torch import load_file
        return load_file(path)
    except ImportError:
        pass
    with open(path, "rb") as f:
        (header_length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_length))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    model = SampleConvNet()
    model.load_state_dict(read_safetensors(sys.argv[1]))  # strict: every name and shape must match
    test_x, test_y = load_split(sys.argv[2], "t10k")
    with torch.no_grad():
        accuracy = (model(test_x).argmax(1) == test_y).float().mean().item()
    print(f"PyTorch SampleConvNet with {sys.argv[1]}: test accuracy {accuracy:.4f}")


if __name__ == "__main__":
    main()
