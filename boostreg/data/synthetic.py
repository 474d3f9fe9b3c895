"""Seeded synthetic generators with known ground truth (which features are informative, which are noise), and the
check of a generator's parameters (from a card, a study or a command line)."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd

from ..errors import BoostregError
from .messages import _did_you_mean


def _friedman1_noise(n_samples: int = 2000, n_features: int = 20, noise: float = 1.0, seed: int = 0):
    """Friedman #1: y = 10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4 + N(0, noise^2);
    x0..x4 informative, the other features uniform noise that y never sees."""
    from sklearn.datasets import make_friedman1

    if n_features < 5:
        raise BoostregError(
            f"friedman1_noise needs n_features >= 5 (x0..x4 are informative), got {n_features}; raise n_features."
        )
    X, y = make_friedman1(n_samples=n_samples, n_features=n_features, noise=noise, random_state=seed)
    names = [f"x{i}" for i in range(n_features)]
    frame = pd.DataFrame(X, columns=names).assign(y=y)
    return frame, tuple(names[:5]), tuple(names[5:])


def _sparse_linear(
    n_samples: int = 1000, n_features: int = 50, n_informative: int = 5, noise: float = 1.0, seed: int = 0
):
    """y = X @ beta + N(0, noise^2) with X standard normal and beta = +-U(1, 3) on n_informative seeded
    features, 0 elsewhere."""
    if not 1 <= n_informative <= n_features:
        raise BoostregError(
            f"sparse_linear needs 1 <= n_informative <= n_features, got n_informative="
            f"{n_informative}, n_features={n_features}; fix params."
        )
    rng = np.random.default_rng(seed)
    support = np.sort(rng.choice(n_features, size=n_informative, replace=False))
    beta = np.zeros(n_features)
    beta[support] = rng.choice([-1.0, 1.0], size=n_informative) * rng.uniform(1.0, 3.0, size=n_informative)
    X = rng.standard_normal((n_samples, n_features))
    y = X @ beta + noise * rng.standard_normal(n_samples)
    names = [f"x{i}" for i in range(n_features)]
    frame = pd.DataFrame(X, columns=names).assign(y=y)
    informative = tuple(names[i] for i in support)
    return frame, informative, tuple(n for n in names if n not in informative)


def _binary_noise(
    n_samples: int = 2000, n_features: int = 20, n_informative: int = 5, flip_y: float = 0.01, seed: int = 0
):
    """sklearn make_classification with the first n_informative features informative (no redundant or
    repeated ones) and the rest independent N(0, 1) noise; rows shuffled with the seed."""
    from sklearn.datasets import make_classification

    if not 2 <= n_informative <= n_features:
        raise BoostregError(
            f"binary_noise needs 2 <= n_informative <= n_features, got n_informative="
            f"{n_informative}, n_features={n_features}; fix params."
        )
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_informative,
        n_redundant=0,
        n_repeated=0,
        n_classes=2,
        flip_y=flip_y,
        shuffle=False,
        random_state=seed,
    )
    order = np.random.default_rng(seed).permutation(n_samples)  # shuffle=False leaves rows sorted by class
    names = [f"x{i}" for i in range(n_features)]
    frame = pd.DataFrame(X[order], columns=names).assign(y=y[order])
    return frame, tuple(names[:n_informative]), tuple(names[n_informative:])


GENERATORS = {"friedman1_noise": _friedman1_noise, "sparse_linear": _sparse_linear, "binary_noise": _binary_noise}


def _check_params(name: str, generator: str, params: dict, where: str) -> dict:
    """Check generator params against its signature; strings from a command line become the default's type."""
    signature = inspect.signature(GENERATORS[generator]).parameters
    checked = {}
    for key, value in params.items():
        if key not in signature:
            hint = _did_you_mean(key, signature)
            raise BoostregError(
                f"{where}: unknown param {key!r} for synthetic dataset {name!r}{hint or '.'} "
                f"Allowed: {', '.join(signature)}."
            )
        kind = float if isinstance(signature[key].default, float) else int
        try:
            number = kind(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            number = None
        if number is None or (kind is int and isinstance(value, float) and value != number):
            raise BoostregError(
                f"{where}: param {key!r} must be {'a number' if kind is float else 'a whole number'}, "
                f"got {value!r}; fix its value."
            )
        if (key == "seed" and number < 0) or (key != "seed" and number < (1 if kind is int else 0)):
            raise BoostregError(
                f"{where}: param {key!r} = {value!r} is out of range; use a "
                f"{'non-negative' if key == 'seed' or kind is float else 'positive'} value."
            )
        checked[key] = number
    return checked
