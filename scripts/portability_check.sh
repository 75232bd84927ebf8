#!/usr/bin/env bash
# Build minikeras._core against the system OpenBLAS with the machine's own Python (no
# network, no venv) and run the CPU test suite: the path used where the scipy-openblas32
# wheel is missing (e.g. the GPU machine: Python 3.12, numpy 2.5, OpenBLAS 0.3.26).
# Usage: scripts/portability_check.sh LOGDIR
set -uo pipefail
LOG=${1:-/tmp/mk-port}
mkdir -p "$LOG"
PY=${PYTHON:-python3}
{
  echo "== $(date -u) $(uname -m) $($PY --version) numpy $($PY -c 'import numpy; print(numpy.__version__)')"
  nproc; grep -m1 "model name" /proc/cpuinfo
  echo "== build (MINIKERAS_BLAS=system)"
  time MINIKERAS_BLAS=system $PY setup.py build_ext --inplace -q 2>&1 | grep -vE "^\s*$" | tail -20
  echo "== tests"
  $PY -m pytest tests -q -x -p no:cacheprovider --ignore=tests/test_properties.py 2>&1 | tail -25
} 2>&1 | tee "$LOG/portability.log"
