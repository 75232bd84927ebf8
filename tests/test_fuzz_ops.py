"""No op crashes the process on bad input: tools/fuzz_ops.py calls random ops with random
tensors and attributes in a subprocess (a segfault would end it with a signal)."""
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("seed", [11, 12])
def test_random_op_calls_never_crash(seed):
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=str(ROOT / "python") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "fuzz_ops.py"), str(seed), "4000"],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, f"fuzz_ops crashed (rc {r.returncode}): rerun with --trace\n" \
                              f"{r.stderr[-2000:]}"
    assert "no crash" in r.stdout
