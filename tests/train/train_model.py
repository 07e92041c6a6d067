"""A small PyTorch training script written for SageMaker: reads its channel (a directory of
samples, or a Pipe-mode FIFO of RecordIO records), fits a linear model, saves it to
SM_MODEL_DIR. Each sample is 9 little-endian float32: 8 features and the target."""
import argparse
import json
import os
import struct
import sys

import torch
from torch.utils.data import DataLoader, Dataset, RandomSampler

SAMPLE_BYTES = 36


def parse(blob):
    values = struct.unpack("<9f", blob)
    return torch.tensor(values[:8]), torch.tensor(values[8:])


class Samples(Dataset):
    def __init__(self, root):
        self.root = root
        self.files = sorted(os.path.relpath(os.path.join(d, f), root)
                            for d, _, fs in os.walk(root) for f in fs)

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        with open(os.path.join(self.root, self.files[i]), "rb") as f:
            return parse(f.read())


def recordio_records(stream):
    while True:
        head = stream.read(8)
        if not head:
            return
        magic, word = struct.unpack("<II", head)
        assert magic == 0xced7230a, "not RecordIO"
        length = word & ((1 << 29) - 1)
        data = stream.read(length)
        stream.read((4 - length % 4) % 4)
        yield data


def main():
    # Hyperparameters arrive as arguments, as SageMaker's toolkit passes them; parse_args
    # (not parse_known_args) fails on anything else.
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=0.05)
    args = parser.parse_args()
    epochs = args.epochs
    channel = os.environ["SM_CHANNEL_TRAINING"]
    mode = json.loads(os.environ["SM_INPUT_DATA_CONFIG"])["training"]["TrainingInputMode"]
    torch.manual_seed(0)
    model = torch.nn.Linear(8, 1)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr)
    seen = 0
    for epoch in range(epochs):
        if mode == "Pipe":
            with open("%s_%d" % (channel, epoch), "rb") as fifo:
                batch = [parse(r) for r in recordio_records(fifo)]
            loader = DataLoader(batch, batch_size=16, shuffle=True)
        else:
            data = Samples(channel)
            sampler = RandomSampler(data)
            if mode == "FastFile":
                from ferry_prefetch import PrefetchingSampler
                sampler = PrefetchingSampler(sampler, data.files, channel)
            loader = DataLoader(data, batch_size=16, sampler=sampler, num_workers=2)
        total = 0.0
        for x, y in loader:
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            total += float(loss) * len(x)
            seen += len(x)
        print("epoch %d loss %.4f" % (epoch, total / max(1, len(loader.dataset))), flush=True)
    torch.save(model.state_dict(), os.path.join(os.environ["SM_MODEL_DIR"], "model.pt"))
    with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "metrics.json"), "w") as f:
        json.dump({"samples_seen": seen, "mode": mode}, f)


if __name__ == "__main__":
    sys.exit(main())
