import re, sys
src = open(sys.argv[1]).read()
src = src.replace('#include "cuda_common.cuh"', '#include "emu.h"')
if len(sys.argv) < 4 or sys.argv[3] != 'cudnn_bn':
    src = src.replace('const bool kUseCudnn = true;', 'const bool kUseCudnn = false;')
src = re.sub(r'([\w:]+(?:<\w+>)?)\s*<<<\s*([^,]+?),\s*([^,]+?),\s*0,\s*mkg_stream\s*>>>\s*\(',
             r'EMU_LAUNCH(\1, \2, \3)(', src)
assert '<<<' not in src
open(sys.argv[2], 'w').write(src)
