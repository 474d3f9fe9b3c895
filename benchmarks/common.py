"""Shared by the benchmarks: the synthetic 20-feature tasks, and training with nothing recorded (the lower bound)."""

import threading

import numpy as np
import pandas as pd

#: XGBoost / LightGBM objectives by task, for the bare trainings
OBJECTIVE = {
    "xgboost": {"regression": "reg:squarederror", "binary": "binary:logistic"},
    "lightgbm": {"regression": "regression", "binary": "binary"},
}


def make_data(task: str, rows: int, features: int = 20, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """make_friedman1 (regression, 5 informative features) or make_classification (binary, 5 informative)."""
    from sklearn.datasets import make_classification, make_friedman1

    if task == "regression":
        X, y = make_friedman1(n_samples=rows, n_features=features, noise=1.0, random_state=seed)
    else:
        X, y = make_classification(n_samples=rows, n_features=features, n_informative=5, random_state=seed)
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(features)]), y.astype(float)


def bare_train(engine, prepared, params: dict, task: str, threads: int = 1):
    """Train as boostreg's engine would, on its prepared (binned) fold, but with no per-round evaluation."""
    import lightgbm as lgb
    import xgboost as xgb

    native = engine.native({k: v for k, v in params.items() if k != "n_estimators"})
    rounds = int(params["n_estimators"])
    if engine.name == "xgboost":
        native.update(objective=OBJECTIVE["xgboost"][task], tree_method="hist", nthread=threads, verbosity=0)
        return xgb.train(native, prepared[0], num_boost_round=rounds)
    native.update(objective=OBJECTIVE["lightgbm"][task], num_threads=threads, verbose=-1, feature_pre_filter=False)
    return lgb.train(native, prepared[0], num_boost_round=rounds)


def bare_predict(engine, model, prepared, fold):
    """The test predictions a user of the plain library would compute, on the threads the model trained with
    (LightGBM's predict does not inherit them; its scikit-learn wrapper passes n_jobs)."""
    if engine.name == "xgboost":
        return model.predict(prepared[1])
    return model.predict(fold.X_test, num_threads=int(model.params.get("num_threads", 0)))


class TreeMemory:
    """Peak RSS of a process and every process under it, sampled every ``every`` seconds: of the root alone, of the
    largest single process, and of the sum over the tree at one moment (MiB)."""

    def __init__(self, pid: int, every: float = 0.2):
        import psutil

        self.root, self.every = psutil.Process(pid), every
        self.parent = self.single = self.total = 0
        self.workers: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self):
        import psutil

        while not self._stop.is_set():
            try:
                procs = [self.root] + self.root.children(recursive=True)
            except psutil.Error:
                procs = []
            sizes = {}
            for p in procs:
                try:
                    sizes[p.pid] = p.memory_info().rss
                except psutil.Error:
                    pass
            if sizes:
                self.parent = max(self.parent, sizes.get(self.root.pid, 0))
                self.single = max(self.single, max(sizes.values()))
                self.total = max(self.total, sum(sizes.values()))
                for pid, rss in sizes.items():
                    if pid != self.root.pid:
                        self.workers[pid] = max(self.workers.get(pid, 0), rss)
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
