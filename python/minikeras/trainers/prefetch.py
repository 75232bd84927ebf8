"""Prefetching for fit/evaluate/predict inputs (tf.keras's OrderedEnqueuer, with threads).

`ordered_map(fn, items, workers, max_queue_size)` yields fn(item) for each item in order
while up to `workers` threads compute the next ones, at most `max_queue_size` results
ahead of the consumer.  Threads (not processes) suffice because the work that matters,
image decoding and the C kernels, releases the GIL."""
import collections
import concurrent.futures

__all__ = ["ordered_map"]


def ordered_map(fn, items, workers, max_queue_size=10):
    workers = max(1, int(workers))
    ahead = max(workers, int(max_queue_size or 0), 1)
    items = iter(items)
    from .. import _core      # a Sequence's batches are input work: on the CPU, as tf.data's
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers,
                                                 thread_name_prefix="minikeras-prefetch",
                                                 initializer=_core.set_device_scope,
                                                 initargs=(_core.CPU,))
    pending = collections.deque()
    try:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= ahead:
                break
        while pending:
            result = pending.popleft().result()     # re-raises the worker's exception here
            for item in items:
                pending.append(pool.submit(fn, item))
                break
            yield result
    finally:
        for f in pending:
            f.cancel()
        pool.shutdown(wait=True)
