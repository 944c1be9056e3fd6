#!/usr/bin/env python3
"""Plain (non-private) PyTorch training of the Opacus tutorial's SampleConvNet,
the reference that mnist_dp_ddp's speed is measured against.

Same model, data files, batch size, optimizer and thread count as
`mnist_dp_ddp --no-dp`; prints its epoch line in the same format, where the
seconds are the training loop alone (batches, forward, backward, update).
PyTorch is not a dependency of veil: this script is for comparisons only.

    python3 benchmarks/pytorch_reference.py --data DIR --epochs 1 --threads 2
"""
import argparse
import gzip
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# The tutorial's normalisation (MNIST's mean and standard deviation).
MEAN, STD = 0.1307, 0.3081


def read_idx(directory, name):
    """Reads an IDX file, plain or gzipped, as a numpy array."""
    for path, opener in ((os.path.join(directory, name), open),
                         (os.path.join(directory, name + ".gz"), gzip.open)):
        if os.path.exists(path):
            with opener(path, "rb") as f:
                data = f.read()
            dims = data[3]
            shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
            return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
    sys.exit(f"error: {name} (or {name}.gz) not found in {directory}")


def load_split(directory, prefix):
    images = read_idx(directory, f"{prefix}-images-idx3-ubyte")
    labels = read_idx(directory, f"{prefix}-labels-idx1-ubyte")
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return (x - MEAN) / STD, torch.from_numpy(labels.astype(np.int64))


class SampleConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 8, 2, padding=3)
        self.conv2 = nn.Conv2d(16, 32, 4, 2)
        self.fc1 = nn.Linear(32 * 4 * 4, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2, 1)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2, 1)
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="directory with the MNIST IDX files (plain or .gz)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--max-steps", type=int, default=-1, help="stop after this many steps in total")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.epochs < 1 or args.batch_size < 1 or args.threads < 1:
        parser.error("--epochs, --batch-size and --threads must be positive")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    load_start = time.perf_counter()
    train_x, train_y = load_split(args.data, "train")
    test_x, test_y = load_split(args.data, "t10k")
    print(f"  read and prepared in {time.perf_counter() - load_start:.3f} s", flush=True)
    model = SampleConvNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    steps_done = 0
    for epoch in range(args.epochs):
        start = time.perf_counter()
        order = torch.randperm(len(train_x))
        loss_sum, correct, seen = 0.0, 0, 0
        for first in range(0, len(order), args.batch_size):
            if 0 <= args.max_steps <= steps_done:
                break
            index = order[first:first + args.batch_size]
            x, y = train_x[index], train_y[index]
            optimizer.zero_grad()
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(y)
            steps_done += 1
        seconds = time.perf_counter() - start
        with torch.no_grad():
            test_accuracy = (model(test_x).argmax(1) == test_y).float().mean().item()
        print(f"Epoch: {epoch} | Train Loss: {loss_sum / max(seen, 1):.4f} | Train Accuracy: {correct / max(seen, 1):.2f}"
              f" | Test Accuracy: {test_accuracy:.2f} | {seconds:.2f} s", flush=True)


if __name__ == "__main__":
    main()
