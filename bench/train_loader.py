"""The data-loading side of a training job, timed: a PyTorch DataLoader with 4 workers reads
every file of a directory (batches of raw samples, no model) for N epochs, in a shuffled order
per epoch; optionally the order goes to a ferry mount first (ferry_prefetch). With --pipe, the
channel is read as Pipe-mode FIFOs instead. Writes {"epochs": [seconds, ...], "bytes": n}.

    train_loader.py DIR OUT.json [--epochs 2] [--prefetch] [--pipe]
"""
import argparse
import json
import os
import time

import torch
from torch.utils.data import DataLoader, Dataset, RandomSampler


class Files(Dataset):
    def __init__(self, root):
        self.root = root
        self.files = sorted(os.path.relpath(os.path.join(d, f), root)
                            for d, _, fs in os.walk(root) for f in fs)

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        with open(os.path.join(self.root, self.files[i]), "rb") as f:
            return len(f.read())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("out")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--prefetch", action="store_true")
    p.add_argument("--pipe", action="store_true")
    args = p.parse_args()
    times, total = [], 0
    if args.pipe:
        for epoch in range(args.epochs):
            t = time.monotonic()
            with open("%s_%d" % (args.dir, epoch), "rb", buffering=0) as fifo:
                while True:
                    chunk = fifo.read(1 << 20)
                    if not chunk:
                        break
                    total += len(chunk)
            times.append(time.monotonic() - t)
    else:
        data = Files(args.dir)
        g = torch.Generator()
        g.manual_seed(1)
        for epoch in range(args.epochs):
            t = time.monotonic()
            sampler = RandomSampler(data, generator=g)
            if args.prefetch:
                from ferry_prefetch import PrefetchingSampler
                sampler = PrefetchingSampler(sampler, data.files, args.dir)
            loader = DataLoader(data, batch_size=64, sampler=sampler, num_workers=4)
            for batch in loader:
                total += int(batch.sum())
            times.append(time.monotonic() - t)
    with open(args.out, "w") as f:
        json.dump({"epochs": times, "bytes": total}, f)


if __name__ == "__main__":
    main()
