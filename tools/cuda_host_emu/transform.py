"""Rewrites a csrc/kernels/<family>.cu for the host emulation: each
`kern<<<grid, block, 0, mkg_stream>>>(args)` becomes `EMU_LAUNCH((kern), grid, block)(args)`
(emu.h: a sequential loop over blocks and threads), and the few kernels that need a real thread
block are configured down to one thread (see README.md)."""
import re
import sys

KERNEL = re.compile(r'([\w:]+(?:<[\w, ]+>)?)\s*$')


def _split_top(s):
    """the comma-separated parts of s at bracket depth 0"""
    parts, depth, cur = [], 0, ''
    for ch in s:
        if ch in '([{':
            depth += 1
        elif ch in ')]}':
            depth -= 1
        if ch == ',' and depth == 0:
            parts.append(cur.strip())
            cur = ''
        else:
            cur += ch
    return parts + [cur.strip()]


def _rewrite_launches(src):
    out = ''
    while '<<<' in src:
        i = src.index('<<<')
        j = src.index('>>>', i)
        m = KERNEL.search(src[:i])
        cfg = _split_top(src[i + 3:j])
        if not m or len(cfg) != 4 or cfg[2] != '0' or cfg[3] != 'mkg_stream':
            raise ValueError('launch not rewritten: ' + src[i - 200:j + 3])
        out += src[:m.start()] + f'EMU_LAUNCH(({m.group(1)}), {cfg[0]}, {cfg[1]})'
        src = src[j + 3:]
    return out + src


def transform(src, cudnn_bn=False):
    # warp shuffles / block collectives: the threads of a block become fibers (emu.h)
    fibers = '__shfl' in src
    src = src.replace('#include "cuda_common.cuh"', ('#define EMU_FIBERS\n' if fibers else '') + '#include "emu.h"')
    src = src.replace('#include <cub/cub.cuh>', '#include "cub_stub.h"')
    if not cudnn_bn:        # norm: the direct batch-norm kernels instead of the cuDNN stubs
        src = src.replace('const bool kUseCudnn = true;', 'const bool kUseCudnn = false;')
    src = src.replace('#define ITILE 16', '#define ITILE 1')     # integer matmul: 1x1 tiles
    if 'CAT_THREADS' in src:   # categorical: one thread per row, with one-thread cub collectives
        src = src.replace('#define CAT_THREADS 256', '#define CAT_THREADS 1')
    return _rewrite_launches(src)


if __name__ == '__main__':     # transform.py IN.cu OUT.cpp [cudnn_bn]
    with open(sys.argv[1]) as f:
        out = transform(f.read(), cudnn_bn=sys.argv[3:] == ['cudnn_bn'])
    with open(sys.argv[2], 'w') as f:
        f.write(out)
