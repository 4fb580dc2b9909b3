#!/usr/bin/env python3
"""Rebuild the reference CNN in PyTorch from its weight file, check its
logits against the Go model's committed demo predictions, and time Predict
and InputGradient like the Go benchmarks (BenchmarkPredict*,
BenchmarkInputGradient* in reference-model/cnn).

Run from the repository root with Debian's interpreter (python3-torch):

    MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296 \
    MALLOC_TOP_PAD_=1073741824 /usr/bin/python3 reference-model/bench/torch_compare.py

The malloc settings keep glibc from returning PyTorch's large buffers to
the kernel between calls (page faults dominate otherwise on these
machines); they are the fair peer for the Go code, which reuses buffers.
"""
import argparse
import io
import json
import resource
import statistics
import struct
import sys
import time
import zipfile

import numpy as np
import torch
import torch.nn.functional as F

LENGTH, GAIN = 18000, 1000.0


def read_weights(path):
    """Parse the framework-neutral weight file (see reference-model/README.md)."""
    with open(path, "rb") as f:
        b = f.read()
    if b[:4] != b"ECGW":
        sys.exit(f"{path}: not an ECGW weight file")
    (n,) = struct.unpack("<I", b[4:8])
    hdr = json.loads(b[8 : 8 + n])
    off, tensors = 8 + n, {}
    for t in hdr["tensors"]:
        size = int(np.prod(t["shape"]))
        tensors[t["name"]] = torch.from_numpy(
            np.frombuffer(b, dtype="<f4", count=size, offset=off).reshape(t["shape"]).copy())
        off += 4 * size
    return hdr["arch"], tensors


class ReferenceCNN(torch.nn.Module):
    """The reference CNN: per layer a 'same' conv (left pad (k-1)//2),
    bias, ReLU, max-pool; then the max over time and a linear map."""

    def __init__(self, arch, t):
        super().__init__()
        self.layers = arch["layers"]
        self.w = [t[f"conv{i}.weight"] for i in range(len(self.layers))]
        self.b = [t[f"conv{i}.bias"] for i in range(len(self.layers))]
        self.fcw, self.fcb = t["fc.weight"], t["fc.bias"]

    def forward(self, x):  # x: (batch, samples) in adu
        h = (x / GAIN).unsqueeze(1)
        for l, w, b in zip(self.layers, self.w, self.b):
            k = l["kernel"]
            h = F.relu(F.conv1d(F.pad(h, ((k - 1) // 2, k - 1 - (k - 1) // 2)), w, b))
            if l["pool"] > 1:
                h = F.max_pool1d(h, l["pool"])
        return F.linear(h.amax(dim=2), self.fcw, self.fcb)


def demo_signals(path):
    """The demo records (MAT v4, int16), Han 2020 padded, ordered by ID."""
    out = {}
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            if not name.endswith(".mat"):
                continue
            b = z.read(name)
            _, mrows, ncols, _, namlen = struct.unpack("<5i", b[:20])
            v = np.frombuffer(b, dtype="<i2", count=mrows * ncols, offset=20 + namlen).astype(np.float64)
            v = v[:LENGTH]
            x = np.zeros(LENGTH)
            start = (LENGTH - len(v)) // 2
            x[start : start + len(v)] = v
            out[name.split("/")[-1][:-4]] = x
    return out


def median_ms(f, reps):
    f()  # warm-up
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append(1000 * (time.perf_counter() - t0))
    return statistics.median(ts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", default="reference-model/weights/reference.ecgw")
    ap.add_argument("--golden", default="reference-model/cnn/testdata/demo_predictions.json")
    ap.add_argument("--demo", default="harness/ecg/demo/demo.zip")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    arch, t = read_weights(a.weights)
    net = ReferenceCNN(arch, t).eval()

    golden = json.load(open(a.golden))
    sig = demo_signals(a.demo)
    x = torch.tensor(np.stack([sig[g["id"]] for g in golden]), dtype=torch.float32)
    with torch.no_grad():
        z = net(x).numpy()
    want = np.array([[struct.unpack("<f", bytes.fromhex(h)[::-1])[0] for h in g["logits_float32_bits"]] for g in golden])
    diff = float(np.abs(z - want).max())
    same = int((z.argmax(1) == want.argmax(1)).sum())
    print(f"logits vs Go on {len(golden)} demo records: max |diff| {diff:.2e}, same class {same}/{len(golden)}")
    ok = diff <= 1e-3

    res = {"torch": torch.__version__, "threads": a.threads, "max_abs_logit_diff": diff}
    for bs in (1, 32):
        xb = x[torch.arange(bs) % len(x)].clone()
        labels = torch.arange(bs) % 4

        def predict():
            with torch.no_grad():
                net(xb)

        def grad():
            xg = xb.clone().requires_grad_(True)
            F.cross_entropy(net(xg), labels, reduction="sum").backward()
            return xg.grad

        for name, f in (("predict", predict), ("input_gradient", grad)):
            ms = median_ms(f, a.reps)
            res[f"{name}_b{bs}_ms"] = ms
            print(f"{name:15s} batch {bs:2d}: {ms:8.1f} ms/batch  {1000 * bs / ms:8.1f} records/s")
    res["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {res['peak_rss_mib']:.0f} MiB")
    print(json.dumps(res))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
