"""LightGBM's text model -> per-tree arrays (leaf values, split features, depth, each leaf's parent split), for
:class:`boostreg.engines.lightgbm.LightGBMEngine`."""

from __future__ import annotations

import numpy as np

_FIELDS = ("num_leaves", "leaf_value", "left_child", "right_child", "split_feature", "decision_type")


def parse_trees(model_str: str) -> list[dict]:
    """Leaf values, split features, depth, and each leaf's parent split (feature, categorical?) per tree.

    Read from LightGBM's text model, which prints leaf values at full precision, in one pass over its lines (a
    model of 200 trees is about 4,000 lines; six regular-expression scans of it took 4 times as long). A one-leaf
    tree has no split lines, so the split fields are matched to trees through ``num_leaves``.
    """
    body = model_str.split("end of trees")[0]
    found: dict[str, list[str]] = {key: [] for key in _FIELDS}
    for line in body.splitlines():
        key, sep, value = line.partition("=")
        if sep and key in found and value:  # a one-leaf tree prints its split fields empty
            found[key].append(value)
    num_leaves = [int(v) for v in found["num_leaves"]]
    split_keys = ("left_child", "right_child", "split_feature", "decision_type")
    split_fields = {key: iter(found[key]) for key in split_keys}
    trees = []
    for n, leaf_line in zip(num_leaves, found["leaf_value"]):
        leaf_value = np.array(leaf_line.split(), dtype=np.float64)
        if n > 1:
            left, right, feature, decision = (
                np.array(next(split_fields[key]).split(), dtype=np.int64) for key in split_keys
            )
            categorical = (decision & 1).astype(bool)
            parent = np.zeros(n, dtype=np.int64)
            parent[~left[left < 0]] = np.nonzero(left < 0)[0]
            parent[~right[right < 0]] = np.nonzero(right < 0)[0]
            trees.append(
                {
                    "leaf_value": leaf_value,
                    "split_feature": feature,
                    "depth": _depth(left, right),
                    "parent_feature": feature[parent],
                    "parent_categorical": categorical[parent],
                }
            )
        else:
            trees.append(
                {
                    "leaf_value": leaf_value,
                    "split_feature": np.zeros(0, dtype=np.int64),
                    "depth": 0,
                    "parent_feature": np.zeros(1, dtype=np.int64),
                    "parent_categorical": np.zeros(1, dtype=bool),
                }
            )
    return trees


def _depth(left: np.ndarray, right: np.ndarray) -> int:
    """Deepest leaf; internal nodes are >= 0 and numbered after their parent, leaves are ~leaf_index (< 0)."""
    depth = np.zeros(len(left), dtype=np.int64)
    for node in range(len(left)):
        for child in (left[node], right[node]):
            if child > 0:
                depth[child] = depth[node] + 1
    return int(depth.max()) + 1
