#!/usr/bin/env python3
"""PyTorch's side of `cargo bench -p ganc --bench layers`: the same layers at the DCGAN's shapes
(batch 64), forward pass, input gradient and weight gradient, in milliseconds (the fastest of
the repetitions; each gradient is forward + backward with only that input tracked, less the forward).

    python3 scripts/bench_layers.py [REPS] [--threads 2]
"""
import argparse
import time

import torch
import torch.nn.functional as F


def conv(x, w):
    return F.conv2d(x, w, None, 2, 1)


def deconv(x, w):
    return F.conv_transpose2d(x, w, None, 2, 1)


def batchnorm(x, w):
    c = x.shape[1]
    return F.batch_norm(x, None, None, w[0].reshape(c), w[1].reshape(c), training=True, eps=1e-5)


def leaky(x, _):
    return F.leaky_relu(x, 0.2)


def relu(x, _):
    return F.relu(x)


def tanh(x, _):
    return torch.tanh(x)


def linear(x, w):
    b, i = x.shape[0], x.shape[1]
    return (x.reshape(b, i) @ w.reshape(i, -1)).reshape(b, -1, 1, 1)


CASES = [
    ("D conv 1->64, 28->14", [64, 1, 28, 28], [64, 1, 4, 4], conv),
    ("D conv 64->128, 14->7", [64, 64, 14, 14], [128, 64, 4, 4], conv),
    ("G deconv 128->64, 7->14", [64, 128, 7, 7], [128, 64, 4, 4], deconv),
    ("G deconv 64->1, 14->28", [64, 64, 14, 14], [64, 1, 4, 4], deconv),
    ("D batchnorm 128x7x7", [64, 128, 7, 7], [2, 128, 1, 1], batchnorm),
    ("G batchnorm 64x14x14", [64, 64, 14, 14], [2, 64, 1, 1], batchnorm),
    ("G batchnorm1d 6272", [64, 6272, 1, 1], [2, 6272, 1, 1], batchnorm),
    ("leaky_relu 64x14x14", [64, 64, 14, 14], [1, 1, 1, 1], leaky),
    ("leaky_relu 128x7x7", [64, 128, 7, 7], [1, 1, 1, 1], leaky),
    ("G relu 64x14x14", [64, 64, 14, 14], [1, 1, 1, 1], relu),
    ("G tanh 1x28x28", [64, 1, 28, 28], [1, 1, 1, 1], tanh),
    ("G linear 100->6272", [64, 100, 1, 1], [100, 6272, 1, 1], linear),
    ("D linear 6272->1", [64, 6272, 1, 1], [6272, 1, 1, 1], linear),
]


def timed(reps, f):
    f()
    t = []
    for _ in range(reps):
        start = time.perf_counter()
        f()
        t.append((time.perf_counter() - start) * 1e3)
    return min(t)


def measure(shape_x, shape_w, run, reps, skip_weight):
    x = torch.randn(shape_x)
    w = torch.randn(shape_w) * 0.05
    with torch.no_grad():
        forward = timed(reps, lambda: run(x, w))

    def backward(track_x):
        def step():
            xa = x.clone().requires_grad_(track_x)
            wa = w.clone().requires_grad_(not track_x)
            y = run(xa, wa)
            (y * y).sum().backward()
        return timed(reps, step) - forward

    return forward, backward(True), (float("nan") if skip_weight else backward(False))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("reps", nargs="?", type=int, default=20)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    print("| layer (batch 64) | pass | PyTorch ms |")
    print("| --- | --- | ---: |")
    for name, sx, sw, run in CASES:
        r = measure(sx, sw, run, a.reps, sw == [1, 1, 1, 1])
        for t, pass_ in zip(r, ["forward", "input grad", "weight grad"]):
            if t == t:
                print(f"| {name} | {pass_} | {t:.3f} |")


if __name__ == "__main__":
    main()
