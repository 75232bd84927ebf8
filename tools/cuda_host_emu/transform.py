"""Rewrites a csrc/kernels/<family>.cu for the host emulation: each
`kern<<<grid, block, 0, mkg_stream>>>(args)` becomes `EMU_LAUNCH((kern), grid, block)(args)`
(emu.h: a sequential loop over blocks and threads), and the few kernels that need a real thread
block are configured down to one thread (see README.md)."""
import re
import sys

LAUNCH = re.compile(r'([\w:]+(?:<[\w, ]+>)?)\s*<<<\s*([^,]+?),\s*([^,]+?),\s*0,\s*mkg_stream\s*>>>\s*\(')


def transform(src, cudnn_bn=False):
    # warp shuffles / block collectives: the threads of a block become fibers (emu.h)
    fibers = '__shfl' in src or 'BlockScan<A, 256>' in src
    src = src.replace('#include "cuda_common.cuh"', ('#define EMU_FIBERS\n' if fibers else '') + '#include "emu.h"')
    src = src.replace('#include <cub/cub.cuh>', '#include "cub_stub.h"')
    if not cudnn_bn:        # norm: the direct batch-norm kernels instead of the cuDNN stubs
        src = src.replace('const bool kUseCudnn = true;', 'const bool kUseCudnn = false;')
    src = src.replace('#define ITILE 16', '#define ITILE 1')     # integer matmul: 1x1 tiles
    if 'CAT_THREADS' in src:   # categorical: one thread per row, with one-thread cub collectives
        src = src.replace('#define CAT_THREADS 256', '#define CAT_THREADS 1')
    src = LAUNCH.sub(r'EMU_LAUNCH((\1), \2, \3)(', src)
    if '<<<' in src:
        i = src.index('<<<')
        raise ValueError('launch not rewritten: ' + src[i - 200:i + 50])
    return src


if __name__ == '__main__':     # transform.py IN.cu OUT.cpp [cudnn_bn]
    with open(sys.argv[1]) as f:
        out = transform(f.read(), cudnn_bn=sys.argv[3:] == ['cudnn_bn'])
    with open(sys.argv[2], 'w') as f:
        f.write(out)
