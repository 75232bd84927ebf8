"""Crash fuzzer for the C op table: calls random ops with random small tensors (every
dtype, ranks 0-4, sizes 0-3), random int/float attributes and output counts.  Every call
must either work or raise a Python exception; a segfault ends the process, and the last
line printed (with --trace) names the call.  tests/test_fuzz_ops.py runs it in a subprocess.

    python tools/fuzz_ops.py SEED ITERATIONS [--trace]"""
import random
import sys

import numpy as np

from minikeras import _core


def main(seed, iterations, trace=False):
    C = _core.ops
    rng = np.random.default_rng(seed)
    random.seed(seed)
    ops = [k for k in sorted(C.keys()) if k != "decode_jpeg"]   # decode_jpeg: own fuzz test
    dtypes = [np.float32, np.float64, np.int32, np.int64, np.uint8, np.bool_, np.float16]
    ok = err = 0
    for _ in range(iterations):
        op = random.choice(ops)
        ins = []
        for _ in range(random.randint(0, 4)):
            shape = tuple(random.choice([0, 1, 2, 3]) for _ in range(random.randint(0, 4)))
            ins.append(_core.from_buffer((rng.standard_normal(shape) * 3).astype(random.choice(dtypes))))
        kw = {}
        ints = tuple(random.choice([-2, -1, 0, 1, 2, 3, 4]) for _ in range(random.randint(0, 8)))
        floats = tuple(random.choice([0.0, 0.5, -1.0]) for _ in range(random.randint(0, 2)))
        if ints:
            kw["ints"] = ints
        if floats:
            kw["floats"] = floats
        if random.random() < 0.2:
            kw["nout"] = random.randint(1, 3)
        if trace:
            print(op, [(tuple(t.shape), str(t.dtype)) for t in ins], kw, flush=True)
        try:
            C[op](*ins, **kw)
            ok += 1
        except (ValueError, TypeError, NotImplementedError, MemoryError, RuntimeError,
                OverflowError, IndexError, KeyError):
            err += 1
    print(f"fuzz_ops: {ok} calls ran, {err} raised, no crash")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), "--trace" in sys.argv)
