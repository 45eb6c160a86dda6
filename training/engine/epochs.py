"""Following Spark NLP's training log file while a model trains, to report each finished epoch.

NerDL (``ner``) and ClassifierDL/MultiClassifierDL (``classification``) write a line per epoch;
the watchers run beside the training call and hand each finished epoch to a callback.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path

EPOCH_DONE = re.compile(r"^Epoch (\d+)/(\d+) - ", re.MULTILINE)


class EpochWatcher:
    """Follows Spark NLP's log file while NerDL trains and reports each finished epoch."""

    def __init__(self, log_file: Path, total: int, on_epoch: Callable[[int, int], None]) -> None:
        self._log_file = log_file
        self._total = total
        self._on_epoch = on_epoch
        self._reported = 0
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="ner-epoch-watcher", daemon=True)

    def __enter__(self) -> EpochWatcher:
        self._thread.start()
        return self

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        self._stop.set()
        self._thread.join()
        if exc_type is None:
            self._poll()  # the last epoch may land between two polls
            if self._error is not None:
                raise self._error

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self._poll()

    def _poll(self) -> None:
        if self._error is not None or not self._log_file.exists():
            return
        text = self._log_file.read_text(encoding="utf-8", errors="replace")
        done = max((int(m.group(1)) for m in EPOCH_DONE.finditer(text)), default=0)
        try:
            while self._reported < done:
                self._reported += 1
                self._on_epoch(self._reported, self._total)
        except BaseException as error:  # handed to the training thread
            self._error = error


class ZeroBasedEpochWatcher(EpochWatcher):
    """NER's watcher for ClassifierDL/MultiClassifierDL, whose log counts epochs from 0.

    Their log file says ``Epoch 0/3`` when the first epoch is done (their console says
    ``Epoch 1/3``), so an epoch logged as n means n + 1 are finished.
    """

    def _poll(self) -> None:
        if self._error is not None or not self._log_file.exists():
            return
        text = self._log_file.read_text(encoding="utf-8", errors="replace")
        done = max((int(m.group(1)) + 1 for m in EPOCH_DONE.finditer(text)), default=0)
        try:
            while self._reported < min(done, self._total):
                self._reported += 1
                self._on_epoch(self._reported, self._total)
        except BaseException as error:  # handed to the training thread, as in the parent
            self._error = error
