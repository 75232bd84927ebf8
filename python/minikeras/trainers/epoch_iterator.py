"""EpochIterator: epochs and steps over a data adapter (tf.keras 2.5 DataHandler).

    for epoch, iterator in handler.enumerate_epochs():
        with handler.catch_stop_iteration():
            for step in handler.steps():
                data = next(iterator)

The number of steps per epoch is steps_per_epoch, else the adapter's batch count, else
learned when the input first runs out (that epoch then ends normally).  An input that
runs out before a known number of steps prints tf.keras's warning and stops the loop."""
import contextlib

from .._lazylog import get_logger
from .data_adapters import select_data_adapter

__all__ = ["EpochIterator"]

_logger = get_logger("minikeras")     # logging is imported at the first message


class EpochIterator:
    def __init__(self, x=None, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                 initial_epoch=0, epochs=1, shuffle=False, class_weight=None, workers=1,
                 max_queue_size=10):
        self._initial_epoch = initial_epoch
        self._epochs = epochs
        self._adapter = select_data_adapter(x, y, sample_weight, batch_size=batch_size,
                                            steps=steps_per_epoch, shuffle=shuffle,
                                            class_weight=class_weight)
        if hasattr(self._adapter, "workers"):     # a Sequence: fetched ahead when workers > 1
            self._adapter.workers = int(workers or 1)
            self._adapter.max_queue_size = max_queue_size
        self._user_steps = steps_per_epoch
        self._inferred_steps = steps_per_epoch if steps_per_epoch is not None \
            else self._adapter.num_batches
        if self._inferred_steps is not None and self._inferred_steps < 0:
            self._inferred_steps = None
        self._insufficient_data = False
        self._current_step = 0
        self._iterator = None

    @property
    def adapter(self):
        return self._adapter

    @property
    def inferred_steps(self):
        return self._inferred_steps

    def enumerate_epochs(self):
        """Yields (epoch, iterator of batches)."""
        passes = self._epochs - self._initial_epoch
        it = self._adapter.get_iterator(passes)
        for epoch in range(self._initial_epoch, self._epochs):
            if self._insufficient_data:
                break
            if self._adapter.should_recreate_iterator() and epoch > self._initial_epoch:
                it = self._adapter.get_iterator(passes)
            self._iterator = it
            yield epoch, it
            self._adapter.on_epoch_end()

    @contextlib.contextmanager
    def catch_stop_iteration(self):
        try:
            yield
        except StopIteration:
            if self._inferred_steps is None:
                self._inferred_steps = self._current_step
            else:
                self._insufficient_data = True
                total_epochs = self._epochs - self._initial_epoch
                _logger.warning(
                    "Your input ran out of data; interrupting training. Make sure that your "
                    "dataset or generator can generate at least `steps_per_epoch * epochs` "
                    "batches (in this case, %d batches). You may need to use the repeat() "
                    "function when building your dataset.", total_epochs * self._inferred_steps)

    def steps(self):
        """Yields the step indices of the current epoch."""
        self._current_step = 0
        while self._inferred_steps is None or self._current_step < self._inferred_steps:
            if self._insufficient_data:
                break
            yield self._current_step
            self._current_step += 1

    @staticmethod
    def next_batch(iterator):
        """next(iterator), raising StopIteration when the input has run out."""
        return next(iterator)
