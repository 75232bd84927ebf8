"""tests/gpu run against the simulated GPU (MINIKERAS_TEST_DEVICE=1: GPU-tagged tensors in host
memory, the CPU kernels): on a machine without a GPU (CI) this checks the placement machinery
end to end -- to_device moves and their gradients, tf.device scopes, GPU buffers read back,
traced graphs replayed across devices, fit with batches resident on the device, out-of-memory
recovery -- and that every GPU test runs.  The kernels' own correctness needs a real GPU
(scripts/gpu_check.sh); the tests that need real CUDA are skipped in this mode."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_gpu_suite_on_the_simulated_device():
    env = dict(os.environ, MINIKERAS_TEST_DEVICE="1", MINIKERAS_TEST_DEVICE_BYTES=str(2 << 30),
               PYTHONPATH=os.path.join(ROOT, "python"))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
                        os.path.join(ROOT, "tests", "gpu")], capture_output=True, text=True, env=env,
                       cwd=ROOT, timeout=900)
    tail = "\n".join((r.stdout + r.stderr).splitlines()[-30:])
    assert r.returncode == 0, tail
    assert " passed" in tail and "failed" not in tail, tail
