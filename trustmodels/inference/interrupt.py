"""Ctrl-C that stops a fit at once, with one line, in a script or a command.

While NUTS runs, JAX keeps the main thread inside compiled code, so Python's own Ctrl-C
handler (``KeyboardInterrupt``) only runs when sampling has ended, and the interpreter then
tends to crash on exit with the sampler's threads still alive. :func:`stop_at_once_on_ctrl_c`
watches for Ctrl-C from a second thread instead: Python's C-level signal handler writes the
signal number to a socket (:func:`signal.set_wakeup_fd`) even while the main thread is busy,
and the watcher prints one line and ends the process with status 130 (128 + SIGINT), as a
shell does. While the main thread runs Python code (PyMC preparing the sampler), a handler of
its own does the same, whichever of the two comes first. Nothing of the unfinished fit is
stored (the fit cache writes only finished fits), and file locks are released by the operating
system.

Inside IPython or a Jupyter kernel, where Ctrl-C means "interrupt the cell", in a thread other
than the main thread, or where a program installed its own Ctrl-C handler, nothing is changed.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
from contextlib import contextmanager

__all__ = ["INTERRUPTED_STATUS", "stop_at_once_on_ctrl_c"]

#: Exit status after Ctrl-C (128 + SIGINT), as a shell reports it.
INTERRUPTED_STATUS = 128 + signal.SIGINT


def _in_ipython() -> bool:
    """Tell whether this runs inside IPython or a Jupyter kernel (Ctrl-C interrupts a cell)."""
    ipython = sys.modules.get("IPython")
    return ipython is not None and ipython.get_ipython() is not None


def _applies() -> bool:
    return (threading.current_thread() is threading.main_thread()
            and not _in_ipython()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler)


@contextmanager
def stop_at_once_on_ctrl_c(what: str = "the fit"):
    """Within the block, Ctrl-C ends the process at once with one line on stderr.

    Parameters
    ----------
    what : str
        What is running, for the message (``"interrupted: <what> stopped; nothing was
        stored"``).

    Yields
    ------
    None

    Notes
    -----
    A no-op inside IPython or a Jupyter kernel, outside the main thread, or when ``SIGINT`` has
    a handler other than Python's default (module docstring).

    Examples
    --------
    >>> with stop_at_once_on_ctrl_c("the example"):
    ...     total = sum(range(10))
    >>> total
    45
    """
    if not _applies():
        yield
        return
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    finished = threading.Event()
    stopping = threading.Lock()

    def stop():
        if stopping.acquire(blocking=False):  # the first of the two paths to get here prints
            sys.stderr.write(f"\ninterrupted: {what} stopped; nothing was stored\n")
            sys.stderr.flush()
            os._exit(INTERRUPTED_STATUS)

    def watch():  # Ctrl-C while the main thread is inside compiled code
        while not finished.is_set():
            try:
                received = reader.recv(64)
            except OSError:
                return
            if not received or finished.is_set():
                return
            if signal.SIGINT in received:
                stop()

    def on_ctrl_c(signum, frame):  # Ctrl-C while the main thread runs Python code
        stop()

    previous_handler = signal.signal(signal.SIGINT, on_ctrl_c)
    previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    watcher = threading.Thread(target=watch, name="trustmodels-ctrl-c", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        finished.set()
        signal.set_wakeup_fd(previous)
        signal.signal(signal.SIGINT, previous_handler)
        writer.close()  # wakes the watcher, which sees the end of the stream
        watcher.join(timeout=5)
        reader.close()
