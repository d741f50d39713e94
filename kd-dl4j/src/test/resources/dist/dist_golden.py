#!/usr/bin/env python3
# Prints the DIST loss and its gradient dL/dz_s (authors' formula, torch float64) for the fixed cases of DistLossTest.
"""The loss is the authors' reference DIST (github.com/hunto/DIST_KD, losses/dist_kd.py), copied verbatim apart
from the module wrapper; the gradient is torch autograd of that expression, so it includes the 1e-8 in the
denominator of the Pearson correlation. DistLossTest holds the printed numbers as literals, so the build does not
need Python.

    /usr/bin/python3 dist_golden.py      # needs python3-torch (apt)
"""
import torch

torch.set_num_threads(2)


def cosine_similarity(a, b, eps=1e-8):
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)


def pearson_correlation(a, b, eps=1e-8):
    return cosine_similarity(a - a.mean(1).unsqueeze(1), b - b.mean(1).unsqueeze(1), eps)


def inter_class_relation(y_s, y_t):
    return 1 - pearson_correlation(y_s, y_t).mean()


def intra_class_relation(y_s, y_t):
    return inter_class_relation(y_s.transpose(0, 1), y_t.transpose(0, 1))


def dist(z_s, z_t, beta, gamma, tau):
    y_s = (z_s / tau).softmax(dim=1)
    y_t = (z_t / tau).softmax(dim=1)
    inter_loss = tau ** 2 * inter_class_relation(y_s, y_t)
    intra_loss = tau ** 2 * intra_class_relation(y_s, y_t)
    return beta * inter_loss + gamma * intra_loss


CASES = {
    # logits of magnitude ~1e3 at T = 8: most probabilities are below 1e-10, so |u~| |v~| << 1e-8 for most columns
    "saturated": dict(beta=1.0, gamma=1.0, tau=8.0,
                      s=[[1000.0, -800.0, 950.0, -1200.0, 300.0],
                         [-700.0, 1100.0, 400.0, -900.0, 1050.0],
                         [850.0, 900.0, -1000.0, 200.0, -600.0],
                         [-1150.0, -300.0, 700.0, 1000.0, -950.0]],
                      t=[[1200.0, -500.0, 1100.0, -1000.0, 100.0],
                         [-900.0, 1000.0, 600.0, -1100.0, 980.0],
                         [700.0, 1050.0, -800.0, 400.0, -700.0],
                         [-1000.0, -200.0, 900.0, 1150.0, -1200.0]]),
    # a minibatch of one: every intra-class column centres to zero
    "single": dict(beta=1.5, gamma=0.5, tau=4.0,
                   s=[[1.0, -2.0, 0.5, 3.0]],
                   t=[[2.0, 0.3, -1.0, 2.5]]),
}

for name, c in CASES.items():
    z_s = torch.tensor(c["s"], dtype=torch.float64, requires_grad=True)
    z_t = torch.tensor(c["t"], dtype=torch.float64)
    loss = dist(z_s, z_t, c["beta"], c["gamma"], c["tau"])
    loss.backward()
    print(name)
    print("  loss = %r" % loss.item())
    for row in z_s.grad.tolist():
        print("  dL/dz = {" + ", ".join(repr(v) for v in row) + "}")
