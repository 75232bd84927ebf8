#!/usr/bin/env bash
# The GPU check of issue 4, in one go on a machine with an NVIDIA GPU (our GPU machine: H100 or
# H200, Python 3.12 with numpy/h5py/pillow/pytest/torch, no internet):
#   1. build minikeras._core and minikeras._cuda in place (sm_90 only unless MINIKERAS_CUDA_ARCHS
#      says otherwise; system OpenBLAS when the scipy-openblas32 wheel is absent),
#   2. pytest tests/gpu, a process per file (every GPU kernel against the CPU kernel, the plumbing,
#      fit on the GPU); a failing file is rerun with CUDA_LAUNCH_BLOCKING=1 -x to name the kernel,
#   3. bench/gpu.py (minikeras vs PyTorch in the same process),
# writing build.log, ops.txt, summary.txt, test_gpu_*.log (+ junit xml), bench_gpu.log / .json into LOGDIR.
#     scripts/gpu_check.sh LOGDIR
set -uo pipefail
LOG=${1:?usage: scripts/gpu_check.sh LOGDIR}
mkdir -p "$LOG"
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
$PY -c "import setuptools" 2>/dev/null || { echo "setuptools missing for $PY: pip install setuptools"; exit 1; }
export MINIKERAS_CUDA_ARCHS=${MINIKERAS_CUDA_ARCHS:-90}
$PY -c "import scipy_openblas32" 2>/dev/null || export MINIKERAS_BLAS=system
start=$(date +%s)
{ nvidia-smi; $PY --version; nvcc --version | tail -1; } > "$LOG/machine.txt" 2>&1

echo "== build (MINIKERAS_CUDA_ARCHS=$MINIKERAS_CUDA_ARCHS, BLAS=${MINIKERAS_BLAS:-wheel})"
if ! $PY setup.py build_ext --inplace > "$LOG/build.log" 2>&1; then
    echo "build FAILED: tail of $LOG/build.log"; tail -40 "$LOG/build.log"; exit 1
fi
echo "   built in $(( $(date +%s) - start )) s"
PYTHONPATH=python $PY -c "
import minikeras as k, minikeras._cuda as c
from minikeras import tf, _core
print('   GPUs:', tf.config.list_physical_devices('GPU'), c.versions())
names = _core.op_names()
gpu = [n for i, n in enumerate(names) if _core.op_info(i)['gpu']]
print('   ops with a GPU kernel: %d of %d' % (len(gpu), len(names)))
print('   CPU only:', ' '.join(n for i, n in enumerate(names) if not _core.op_info(i)['gpu']))
" 2>&1 | tee "$LOG/ops.txt"

echo "== pytest tests/gpu, one process per file (an illegal memory access spoils only its file)"
rc_test=0
: > "$LOG/summary.txt"
for f in tests/gpu/test_gpu_*.py; do
    name=$(basename "$f" .py)
    PYTHONPATH=python timeout ${GPU_FILE_TIMEOUT:-120} $PY -m pytest "$f" -q -p no:cacheprovider -rfE \
        --junitxml="$LOG/$name.xml" > "$LOG/$name.log" 2>&1
    rc=$?
    echo "$name: rc=$rc $(tail -1 "$LOG/$name.log")" | tee -a "$LOG/summary.txt"
    if [ $rc -ne 0 ]; then
        rc_test=1
        # again with synchronous launches, stopping at the first failure: the failing kernel
        # is then the one named in the traceback
        CUDA_LAUNCH_BLOCKING=1 PYTHONPATH=python timeout 60 $PY -m pytest "$f" -q -x -p no:cacheprovider \
            > "$LOG/$name.blocking.log" 2>&1
    fi
done

echo "== bench/gpu.py"
PYTHONPATH=python timeout ${GPU_BENCH_TIMEOUT:-200} $PY bench/gpu.py --json "$LOG/bench_gpu.json" \
    > "$LOG/bench_gpu.log" 2>&1
rc_bench=$?
cat "$LOG/bench_gpu.log" | tail -30
echo "== done in $(( $(date +%s) - start )) s: pytest rc=$rc_test, bench rc=$rc_bench"
exit $(( rc_test != 0 || rc_bench != 0 ))
