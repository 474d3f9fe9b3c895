"""Update dynamics: proximal L1 steps end at exact zeros, L2 steps never do, pure decay scales every weight alike."""

import numpy as np
import pandas as pd

from boostreg.dynamics import RULES, step, summarize_dynamics, update_dynamics


def test_tidy_trajectories_of_every_weight_under_every_rule():
    traj = update_dynamics(n_steps=50, p=6)
    assert list(traj.columns) == ["rule", "step", "weight", "value", "w_true"]
    assert len(traj) == len(RULES) * 51 * 6
    assert set(traj.rule) == set(RULES)
    start = traj[traj.step == 0].pivot(index="weight", columns="rule", values="value")
    assert (start.nunique(axis=1) == 1).all()  # every rule starts from the same weights
    pd.testing.assert_frame_equal(traj, update_dynamics(n_steps=50, p=6))  # deterministic


def test_proximal_l1_ends_at_exact_zeros_and_l2_at_none():
    summary = summarize_dynamics(update_dynamics()).set_index("rule")
    assert summary.at["l1_proximal", "n_exact_zero"] > 0
    assert summary.at["l2", "n_exact_zero"] == 0
    assert summary.at["l1_subgradient", "n_exact_zero"] < summary.at["l1_proximal", "n_exact_zero"]
    traj = update_dynamics()
    last = traj[(traj.step == traj.step.max()) & (traj.rule == "l1_proximal")]
    assert (last[last.w_true == 0].value == 0.0).all()  # the zeros are the noise weights
    assert (last[last.w_true != 0].value != 0.0).all()


def test_pure_decay_l2_step_scales_every_weight_by_one_factor():
    lr, lam = 0.1, 0.3
    traj = update_dynamics(n_steps=20, lr=lr, lam=lam, data_gradient=False, rules=("l2",))
    values = traj.pivot(index="step", columns="weight", values="value").to_numpy()
    ratios = values[1:] / values[:-1]
    np.testing.assert_allclose(ratios, 1 - lr * lam, rtol=1e-12)


def test_single_steps_by_hand():
    w = np.array([1.0, -0.02, 0.5])
    g = np.array([0.5, 0.0, -1.0])
    np.testing.assert_allclose(
        step(w, g, "l2", 0.1, 2.0), [1.0 - 0.1 * (0.5 + 2.0), -0.02 + 0.1 * 0.04, 0.5 - 0.1 * (-1.0 + 1.0)]
    )
    np.testing.assert_allclose(step(w, g, "l1_subgradient", 0.1, 1.0), [1.0 - 0.1 * 1.5, -0.02 + 0.1, 0.5 - 0.1 * 0.0])
    # proximal: z = w - lr g = [0.95, -0.02, 0.6], threshold 0.1
    np.testing.assert_array_equal(step(w, g, "l1_proximal", 0.1, 1.0) == 0.0, [False, True, False])
    np.testing.assert_allclose(step(w, g, "l1_proximal", 0.1, 1.0), [0.85, 0.0, 0.5])
