"""Update dynamics: what one gradient step does to the weights under L2, L1 (subgradient) and L1 (proximal).

A small deterministic experiment beside the study (``OUT/dynamics.parquet``): linear regression with the loss
``1/(2n) ||y - Xw||^2`` on a fixed synthetic problem (n rows, p standard-normal features, ``n_informative``
nonzero true weights, seeded), full-batch gradient steps of size ``lr`` from a seeded N(0, 1) start:

* ``l2`` (weight decay):        w <- w - lr * (grad + lam * w)  = (1 - lr*lam) w - lr * grad
* ``l1_subgradient``:           w <- w - lr * (grad + lam * sign(w))   (oscillates around 0, rarely exactly 0)
* ``l1_proximal`` (ISTA):       w <- S(w - lr * grad, lr * lam),  S(z, t) = sign(z) max(|z| - t, 0)  (exact zeros)

With ``data_gradient=False`` the data term is switched off (grad = 0): an ``l2`` step then scales every
weight by exactly the same factor ``1 - lr*lam``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RULES = ("l2", "l1_subgradient", "l1_proximal")


def problem(n: int = 100, p: int = 10, n_informative: int = 3, noise: float = 0.5, seed: int = 0):
    """The fixed synthetic problem: X (n, p) standard normal, w_true with n_informative entries +-[1, 2], y."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    w_true = np.zeros(p)
    w_true[:n_informative] = rng.choice([-1.0, 1.0], size=n_informative) * rng.uniform(1.0, 2.0, size=n_informative)
    y = X @ w_true + noise * rng.standard_normal(n)
    return X, y, w_true


def step(w: np.ndarray, grad: np.ndarray, rule: str, lr: float, lam: float) -> np.ndarray:
    """One update of ``w`` given the data gradient ``grad``."""
    if rule == "l2":
        return w - lr * (grad + lam * w)
    if rule == "l1_subgradient":
        return w - lr * (grad + lam * np.sign(w))
    if rule == "l1_proximal":
        z = w - lr * grad
        return np.sign(z) * np.maximum(np.abs(z) - lr * lam, 0.0)
    raise ValueError(f"unknown rule {rule!r}; use one of {', '.join(RULES)}")


def update_dynamics(
    *,
    n_steps: int = 200,
    lr: float = 0.1,
    lam: float = 0.3,
    n: int = 100,
    p: int = 10,
    n_informative: int = 3,
    seed: int = 0,
    data_gradient: bool = True,
    rules: tuple[str, ...] = RULES,
) -> pd.DataFrame:
    """Every weight's trajectory under each rule: tidy columns rule, step (0 = start), weight, value, w_true."""
    X, y, w_true = problem(n=n, p=p, n_informative=n_informative, seed=seed)
    w0 = np.random.default_rng(seed + 1).standard_normal(p)
    frames = []
    for rule in rules:
        w = w0.copy()
        path = [w.copy()]
        for _ in range(n_steps):
            grad = X.T @ (X @ w - y) / n if data_gradient else np.zeros(p)
            w = step(w, grad, rule, lr, lam)
            path.append(w.copy())
        values = np.asarray(path)
        frames.append(
            pd.DataFrame(
                {
                    "rule": rule,
                    "step": np.repeat(np.arange(n_steps + 1, dtype=np.int64), p),
                    "weight": np.tile(np.arange(p, dtype=np.int64), n_steps + 1),
                    "value": values.ravel(),
                    "w_true": np.tile(w_true, n_steps + 1),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def summarize_dynamics(traj: pd.DataFrame) -> pd.DataFrame:
    """Per rule, at the last step: weights exactly 0, weights with |w| < 1e-3, and the L1 / L2 norms."""
    last = traj[traj.step == traj.step.max()]
    out = last.groupby("rule", sort=False).value.agg(
        n_exact_zero=lambda v: int((v == 0.0).sum()),
        n_near_zero=lambda v: int((v.abs() < 1e-3).sum()),
        l1_norm=lambda v: float(v.abs().sum()),
        l2_norm=lambda v: float(np.sqrt((v**2).sum())),
    )
    return out.reset_index()
