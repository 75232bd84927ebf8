import re, sys
src = open(sys.argv[1]).read()
src = src.replace('#include "cuda_common.cuh"', '#include "emu.h"')
src = src.replace('#include <cub/cub.cuh>', '')
src = src.replace('#define ITILE 16', '#define ITILE 1')
if 'CAT_THREADS' in src:   # categorical: emulated with one thread per block (cub stubs below)
    src = src.replace('#define CAT_THREADS 256', '#define CAT_THREADS 1\n#include "cub_stub.h"')
src = re.sub(r'([\w:]+(?:<[\w, ]+>)?)\s*<<<\s*([^,]+?),\s*([^,]+?),\s*0,\s*mkg_stream\s*>>>\s*\(',
             r'EMU_LAUNCH((\1), \2, \3)(', src)
assert '<<<' not in src, src[src.index('<<<')-200:src.index('<<<')+50]
open(sys.argv[2], 'w').write(src)
