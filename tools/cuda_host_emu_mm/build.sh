#!/bin/sh
# build.sh SRC_ROOT: host emulation of matmul.cu / optim.cu / random.cu into libemu.so
# (uses tools/cuda_host_emu/emu.h; see README.md)
set -e
ROOT=$(cd "$1" && pwd)
cd "$(dirname "$0")"
PYINC=$(/work/main/.venv/bin/python -c "import sysconfig;print(sysconfig.get_paths()['include'])")
for f in optim random matmul; do python3 transform.py $ROOT/csrc/kernels/$f.cu $f.cpp; done
g++ -std=c++17 -O3 -march=x86-64-v3 -g -fPIC -shared -w -I. -I$ROOT/tools/cuda_host_emu -I$ROOT/csrc -I$ROOT/csrc/kernels \
    -I/usr/local/cuda/include -I$PYINC harness.cpp optim.cpp random.cpp matmul.cpp lt_stub.cpp -o libemu.so
rm -f optim.cpp random.cpp matmul.cpp
