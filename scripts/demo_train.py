"""The demo's training script, written for SageMaker: a tiny PyTorch model fit on the files
of its "training" channel (features: a byte histogram of each file; target: its size), saved
to SM_MODEL_DIR. In Fast File mode it sends each epoch's read order to the mount first."""
import argparse
import os

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
            data = f.read()
        hist = torch.zeros(8)
        for b in data[:4096]:
            hist[b >> 5] += 1
        return hist / max(1, min(len(data), 4096)), torch.tensor([len(data) / 10000.0])


def main():
    channel = os.environ["SM_CHANNEL_TRAINING"]
    parser = argparse.ArgumentParser()  # hyperparameters arrive as --key value
    parser.add_argument("--epochs", type=int, default=2)
    epochs = parser.parse_args().epochs
    data = Files(channel)
    sampler = RandomSampler(data)
    if os.environ.get("FERRY_PREFETCH_SOCKET"):
        from ferry_prefetch import PrefetchingSampler
        sampler = PrefetchingSampler(sampler, data.files, channel)
    loader = DataLoader(data, batch_size=4, sampler=sampler)
    model = torch.nn.Linear(8, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(epochs):
        total = 0.0
        for x, y in loader:
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            total += float(loss) * len(x)
        print("epoch %d: %d files, loss %.4f" % (epoch, len(data), total / len(data)), flush=True)
        if os.environ.get("SM_CHECKPOINT_DIR"):
            # Kept in the bucket by --checkpoint (and archived there later by a lifecycle rule).
            torch.save(model.state_dict(),
                       os.path.join(os.environ["SM_CHECKPOINT_DIR"], "epoch-%d.pt" % epoch))
    torch.save(model.state_dict(), os.path.join(os.environ["SM_MODEL_DIR"], "model.pt"))


if __name__ == "__main__":
    main()
