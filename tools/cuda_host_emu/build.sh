#!/bin/sh
# build.sh SRC_ROOT [cudnn_bn]: host emulation of the conv/pool/norm .cu files into libemu.so
set -e
ROOT=$(cd "$1" && pwd)
cd "$(dirname "$0")"
PYINC=$(${PYTHON:-python3} -c "import sysconfig;print(sysconfig.get_paths()['include'])")
for f in pool norm conv; do python3 transform.py $ROOT/csrc/kernels/$f.cu $f.cpp $2; done
g++ -std=c++17 -O2 -g -fPIC -shared -w -I. -I$ROOT/csrc -I$ROOT/csrc/kernels -I/usr/local/cuda/include -I$PYINC \
    harness.cpp pool.cpp norm.cpp conv.cpp cudnn_stub.cpp -o libemu.so
rm -f pool.cpp norm.cpp conv.cpp
