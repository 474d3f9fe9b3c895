"""Progress where the user watches (boostreg/progress.py): plain lines in logs and pipes every 10% of the fits or
every 30 s (from a timer thread too, while no fit lands), text instead of rich's warning in a notebook without
ipywidgets, silence when disabled, and a real ``boostreg run`` with stderr piped."""

import io
import re
import threading
import time

import pytest
from conftest import run_cli

from boostreg import progress as progress_module
from boostreg.progress import Progress, duration

LINE = re.compile(r"^boostreg: (\d+)/(\d+) fits \((\d+)%\), ([\d.]+) fits/s, (ETA .+|done in .+)$")
WAITING = re.compile(r"^boostreg: 0/(\d+) fits \(0%\), waiting for the first fit, (.+) elapsed$")


class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def _lines(stream):
    return [line for line in stream.getvalue().splitlines() if line]


def _wait_for_lines(stream, n, timeout=5.0):
    """The stream's lines once there are ``n`` of them (the timer thread writes them), or after ``timeout``."""
    deadline = time.monotonic() + timeout
    while len(_lines(stream)) < n and time.monotonic() < deadline:
        time.sleep(0.005)
    return _lines(stream)


def _timers():
    return [t for t in threading.enumerate() if t.name == "boostreg-progress"]


def test_text_mode_prints_every_tenth_with_counts_rate_and_eta():
    clock, stream = FakeClock(), io.StringIO()
    with Progress(2070, True, "study", stream=stream, clock=clock, mode="text") as bar:
        for _ in range(2070):
            clock.t += 0.1  # 10 fits/s
            bar.advance()
    lines = _lines(stream)
    assert len(lines) == 10  # 10%, 20%, ..., 90%, then the final line
    assert lines[0] == "boostreg: 207/2070 fits (10%), 10.0 fits/s, ETA 3 min 6 s"
    for k, line in enumerate(lines[:9], start=1):
        done, total, share = map(int, LINE.match(line).groups()[:3])
        assert total == 2070 and share == 10 * k and done == -(-2070 * k // 10)  # the first fit at or past k/10
    assert lines[-1] == "boostreg: 2070/2070 fits (100%), 10.0 fits/s, done in 3 min 27 s"


def test_text_mode_prints_after_30_s_without_a_new_tenth():
    clock, stream = FakeClock(), io.StringIO()
    with Progress(1000, True, "study", stream=stream, clock=clock, mode="text") as bar:
        for _ in range(10):  # 10 fits in 20 s: under 10%, under 30 s
            clock.t += 2.0
            bar.advance()
        assert _lines(stream) == []
        for _ in range(5):  # 15 fits in 30 s
            clock.t += 2.0
            bar.advance()
        assert _lines(stream) == ["boostreg: 15/1000 fits (2%), 0.5 fits/s, ETA 32 min 50 s"]
        clock.t += 29.0
        bar.advance(2)  # 29 s after the last line: nothing new
        assert len(_lines(stream)) == 1
        clock.t += 1.0
        bar.advance()  # 30 s after it
        assert _lines(stream)[-1] == "boostreg: 18/1000 fits (2%), 0.3 fits/s, ETA 54 min 33 s"
        clock.t += 1.0
        bar.advance(82)  # 100 fits: the 10% line comes at once
        assert _lines(stream)[-1].startswith("boostreg: 100/1000 fits (10%)")
    assert (
        _lines(stream)[-1].startswith("boostreg: 100/1000 fits (10%)")
        and "stopped after 1 min 1 s" in (_lines(stream)[-1])
    )


def test_text_mode_timer_prints_while_no_fit_lands():
    clock, stream = FakeClock(), io.StringIO()
    with Progress(8, True, "study", stream=stream, clock=clock, mode="text", interval_s=0.05) as bar:
        time.sleep(0.2)  # several ticks, but the clock has not moved: nothing
        assert _lines(stream) == []
        clock.t += 4.0  # a slow first fit
        assert _wait_for_lines(stream, 1) == ["boostreg: 0/8 fits (0%), waiting for the first fit, 4 s elapsed"]
        bar.advance(4)  # the 50% line; the timer's clock restarts from it
        assert _lines(stream)[-1] == "boostreg: 4/8 fits (50%), 1.0 fits/s, ETA 4 s"
        clock.t += 4.0  # no fit since: the timer's line has the rate and ETA of now
        assert _wait_for_lines(stream, 3)[-1] == "boostreg: 4/8 fits (50%), 0.5 fits/s, ETA 8 s"
        time.sleep(0.2)
        assert len(_lines(stream)) == 3  # one line per interval, not one per tick
        bar.advance(4)  # all done: the final line comes on exit, the timer says nothing more
        clock.t += 7.0
        time.sleep(0.2)
        assert len(_lines(stream)) == 3
    assert not _timers()
    clock.t += 100.0
    time.sleep(0.2)
    lines = _lines(stream)
    assert lines[-1] == "boostreg: 8/8 fits (100%), 0.5 fits/s, done in 15 s"
    assert len(lines) == 4 and sum("done in" in line for line in lines) == 1


def test_text_mode_timer_uses_the_real_clock_and_the_module_interval(monkeypatch):
    monkeypatch.setattr(progress_module, "INTERVAL_S", 0.05)
    stream = io.StringIO()
    with Progress(8, True, "study", stream=stream, mode="text") as bar:
        assert bar.interval_s == 0.05
        lines = _wait_for_lines(stream, 1)
        assert lines and WAITING.match(lines[0]) and WAITING.match(lines[0]).group(1) == "8", lines
        bar.advance(8)
    assert not _timers()
    *waiting, final = _lines(stream)
    assert waiting and all(WAITING.match(line) for line in waiting)  # one a tick of 0.05 s while nothing lands
    assert LINE.match(final) and "8/8 fits (100%)" in final and "done in" in final


def test_text_mode_timer_stops_on_an_error():
    clock = FakeClock()
    at_3 = "boostreg: 3/8 fits (38%), 75.0 fits/s"
    for fits, expected in [(0, []), (3, [f"{at_3}, ETA 0 s", f"{at_3}, stopped after 0 s"])]:
        stream = io.StringIO()
        with (
            pytest.raises(RuntimeError),
            Progress(8, True, "s", stream=stream, clock=clock, mode="text", interval_s=0.05) as bar,
        ):
            assert bar._timer is not None and bar._timer.is_alive()
            if fits:
                clock.t += 0.04  # under the interval, so the timer cannot print before the fits land
                bar.advance(fits)  # the 30% line
            raise RuntimeError("a fit broke")
        assert bar._timer is None and not _timers()
        clock.t += 100.0
        time.sleep(0.2)
        assert _lines(stream) == expected  # no timer line after exit; the final one once, only after a fit


def test_bars_and_disabled_start_no_timer():
    clock = FakeClock()
    for mode, total, enabled in [("terminal", 8, True), ("notebook", 8, True), ("text", 8, False), ("text", 0, True)]:
        stream = io.StringIO()
        with Progress(total, enabled, "study", stream=stream, clock=clock, mode=mode, interval_s=0.05) as bar:
            assert bar._timer is None and not _timers()
            clock.t += 100.0
            time.sleep(0.15)
            bar.advance()
        assert "boostreg:" not in stream.getvalue() and "waiting" not in stream.getvalue()


def test_disabled_or_empty_is_silent():
    for total, enabled in [(100, False), (0, True)]:
        stream = io.StringIO()
        with Progress(total, enabled, "study", stream=stream, clock=FakeClock(), mode="text") as bar:
            bar.advance(5)
        assert stream.getvalue() == ""


def test_mode_follows_the_stream_and_the_notebook(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(progress_module, "in_notebook", lambda: False)
    assert Progress(10, True, "s", stream=io.StringIO()).mode == "text"
    assert Progress(10, True, "s", stream=Tty()).mode == "terminal"
    monkeypatch.setattr(progress_module, "in_notebook", lambda: True)
    monkeypatch.setattr(progress_module, "has_ipywidgets", lambda: True)
    assert Progress(10, True, "s", stream=io.StringIO()).mode == "notebook"


def test_notebook_without_ipywidgets_prints_text_and_no_warning(monkeypatch, recwarn, capsys):
    monkeypatch.setattr(progress_module, "in_notebook", lambda: True)
    monkeypatch.setattr(progress_module, "has_ipywidgets", lambda: False)
    clock, stream = FakeClock(), io.StringIO()
    for _ in range(3):  # one bar per call, as a notebook cell running several studies
        with Progress(20, True, "study", stream=stream, clock=clock) as bar:
            assert bar.mode == "text"
            for _ in range(20):
                clock.t += 1.0
                bar.advance()
    text = stream.getvalue() + "".join(capsys.readouterr())
    assert "ipywidgets" not in text
    assert not [w for w in recwarn if "ipywidgets" in str(w.message)]
    assert all(LINE.match(line) for line in _lines(stream))
    assert _lines(stream).count("boostreg: 20/20 fits (100%), 1.0 fits/s, done in 20 s") == 3


def test_in_notebook_needs_a_kernel(monkeypatch):
    import sys

    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    assert not progress_module.in_notebook()


def test_duration():
    assert [duration(x) for x in (0.4, 59.6, 166.4, 3900, float("nan"))] == [
        "0 s",
        "1 min 0 s",
        "2 min 46 s",
        "1 h 5 min",
        "–",
    ]


TINY = """\
[study]
name = "tiny"
engines = ["xgboost"]
folds = 2

[[datasets]]
name = "diabetes"

[grid]
reg_alpha = [0, 1, 10]
reg_lambda = [0]

[params]
n_estimators = 5
"""


@pytest.mark.slow
def test_a_real_run_with_stderr_piped_prints_lines(tmp_path):
    (tmp_path / "tiny.toml").write_text(TINY)
    proc = run_cli(["run", "tiny.toml", "--out", "out", "--no-report", "--jobs", "1"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if LINE.match(line)]
    assert len(lines) >= 2, proc.stderr
    assert "ETA" in lines[0]
    done, total = map(int, LINE.match(lines[-1]).groups()[:2])
    assert done == total and "done in" in lines[-1]
    assert "\x1b[" not in proc.stderr  # no terminal escapes in a log
    quiet = run_cli(["run", "tiny.toml", "--out", "out2", "--no-report", "-q"], tmp_path)
    assert quiet.returncode == 0 and not [line for line in quiet.stderr.splitlines() if LINE.match(line)]
