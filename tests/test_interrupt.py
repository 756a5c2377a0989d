"""Ctrl-C during a fit stops the process at once with one line (issue: it landed only after
sampling had ended and the interpreter then crashed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from trustmodels.inference.interrupt import INTERRUPTED_STATUS, stop_at_once_on_ctrl_c

# a fit that samples for minutes: a small ordinal model with far more draws than needed
LONG_FIT = """
import trustmodels as tm
from trustmodels.datasets.simulated import load_simulated_survey
from trustmodels.models.ordinal import build_ordinal_model
long = load_simulated_survey().long
long = long[long["respondent"].isin(sorted(set(long["respondent"]))[:60])]
model = build_ordinal_model(long)
tm.fit(model, draws=200_000, tune=200, chains=1, cache=False, label="a long fit")
print("finished", flush=True)
"""


def _start(code):
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"),
        # a background process inherits an ignored SIGINT from a non-interactive shell
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 3.0], ids=["while PyMC prepares", "while sampling"])
def test_ctrl_c_during_sampling_ends_the_process_at_once_with_one_line(delay):
    process = _start(LONG_FIT)
    seen = []
    for line in process.stderr:  # PyMC names the sampler when sampling starts
        seen.append(line)
        if line.startswith("NUTS["):
            break
    assert seen and seen[-1].startswith("NUTS["), "".join(seen)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == INTERRUPTED_STATUS, stderr
    assert "finished" not in stdout
    assert stderr.strip().splitlines()[-1] == "interrupted: the fit stopped; nothing was stored"
    assert "Traceback" not in stderr


@pytest.fixture
def sigint_as_at_a_terminal():
    """Python's Ctrl-C handler, as at a terminal, for the test's duration.

    A background job of a non-interactive shell (as a CI runner may start the tests) inherits an
    ignored SIGINT, and then the block rightly leaves Ctrl-C alone.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_outside_the_block_and_in_other_threads_ctrl_c_is_left_alone(sigint_as_at_a_terminal):
    import threading

    with stop_at_once_on_ctrl_c():
        installed = signal.set_wakeup_fd(-1)
        signal.set_wakeup_fd(installed)
        assert installed != -1  # the watcher's socket receives the signal numbers
    assert signal.set_wakeup_fd(-1) == -1  # and is removed after the block
    results = []

    def in_thread():
        with stop_at_once_on_ctrl_c():
            results.append("ran")

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert results == ["ran"]
