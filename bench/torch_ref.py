#!/usr/bin/env python3
"""PyTorch CPU reference for the project's default CNN on Fashion-MNIST.

Same architecture, batch size and optimiser as the Go app's default, so the two
can be compared side by side on one machine. Prints img/s of training and the
test accuracy after each epoch.
usage: /usr/bin/python3 torch_ref.py DATA_DIR [--epochs N] [--batch B] [--threads T] [--limit N]
                                     [--lr LR] [--standardize [--mean M --std S]]
needs Debian's PyTorch: apt-get install -y python3-torch (then run it with /usr/bin/python3)
DATA_DIR: a folder with the four Fashion-MNIST IDX .gz files, e.g. ../shared/data/fashion-mnist
--standardize feeds (pixel/255 - mean)/std instead of pixel/255, as the Go app does
(its defaults are the app's: ml/data/dataset.go), so that accuracies compare like for like.
Run by `go run ./ml/internal/benchcompare`, which passes every setting explicitly.
"""
import argparse, gzip, struct, time
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F

def idx(path):
    b = gzip.open(path).read()
    magic, n = struct.unpack(">II", b[:8])
    if magic == 2051:
        r, c = struct.unpack(">II", b[8:16])
        return np.frombuffer(b[16:], np.uint8).reshape(n, 1, r, c)
    return np.frombuffer(b[8:], np.uint8)

class Net(nn.Module):
    def __init__(s):
        super().__init__()
        s.c1 = nn.Conv2d(1, 32, 3, padding=1); s.c2 = nn.Conv2d(32, 64, 3, padding=1)
        s.f1 = nn.Linear(64 * 7 * 7, 128); s.f2 = nn.Linear(128, 10)
    def forward(s, x):
        x = F.max_pool2d(F.relu(s.c1(x)), 2); x = F.max_pool2d(F.relu(s.c2(x)), 2)
        return s.f2(F.relu(s.f1(x.flatten(1))))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data"); ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=64); ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0); ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--standardize", action="store_true", help="scale pixels as (v/255 - mean)/std")
    ap.add_argument("--mean", type=float, default=0.2860); ap.add_argument("--std", type=float, default=0.3530)
    a = ap.parse_args()
    scaling = f"standardized (mean {a.mean}, std {a.std})" if a.standardize else "pixel/255"
    print(f"torch {torch.__version__}: threads {a.threads}, batch {a.batch}, lr {a.lr}, epochs {a.epochs}, "
          f"limit {a.limit}, input {scaling}", flush=True)
    torch.set_num_threads(a.threads); torch.manual_seed(0)
    xtr = idx(f"{a.data}/train-images-idx3-ubyte.gz"); ytr = idx(f"{a.data}/train-labels-idx1-ubyte.gz")
    xte = idx(f"{a.data}/t10k-images-idx3-ubyte.gz"); yte = idx(f"{a.data}/t10k-labels-idx1-ubyte.gz")
    if a.limit: xtr, ytr = xtr[:a.limit], ytr[:a.limit]
    Xtr = torch.tensor(xtr, dtype=torch.float32) / 255.0; Ytr = torch.tensor(ytr, dtype=torch.long)
    Xte = torch.tensor(xte, dtype=torch.float32) / 255.0; Yte = torch.tensor(yte, dtype=torch.long)
    if a.standardize: Xtr = (Xtr - a.mean) / a.std; Xte = (Xte - a.mean) / a.std
    m = Net(); opt = torch.optim.Adam(m.parameters(), lr=a.lr)
    for ep in range(a.epochs):
        m.train(); perm = torch.randperm(len(Xtr)); t0 = time.perf_counter(); seen = 0
        for i in range(0, len(Xtr) - a.batch + 1, a.batch):
            idxs = perm[i:i + a.batch]
            opt.zero_grad(); loss = F.cross_entropy(m(Xtr[idxs]), Ytr[idxs]); loss.backward(); opt.step()
            seen += a.batch
        dt = time.perf_counter() - t0
        m.eval(); t1 = time.perf_counter()
        with torch.no_grad():
            pred = torch.cat([m(Xte[j:j + 1000]).argmax(1) for j in range(0, len(Xte), 1000)])
        it = time.perf_counter() - t1
        acc = (pred == Yte).float().mean().item()
        print(f"epoch {ep+1}: train {seen/dt:.0f} img/s ({dt:.1f}s) loss {loss.item():.4f} "
              f"test_acc {acc:.4f} infer {len(Xte)/it:.0f} img/s", flush=True)

if __name__ == "__main__":
    main()
