/* host emulation of the CUDA kernels: the blocks of a launch, and the threads of a block, run
 * one after another on the calling CPU thread (see README.md for what this can and cannot show) */
#include "kernels/cuda_common.cuh"
#include <cstring>
#include <cstdlib>
#include <cstdio>
#include <cmath>
#undef __global__
#define __global__
#undef __device__
#define __device__
#undef __forceinline__
#define __forceinline__ inline
#undef __shared__
#define __shared__ static thread_local
extern thread_local uint3 threadIdx, blockIdx;
extern thread_local dim3 blockDim, gridDim;
static inline void __syncthreads() {}
/* threads of a block run in reverse threadIdx.y / .z order, so that a __syncthreads() reduction
 * read by threadIdx.y == 0 sees every other row's write */
template <typename F> struct emu_launcher {
    dim3 g, b; F f;
    template <typename... A> void operator()(A... a) {
        gridDim = g; blockDim = b;
        for (unsigned bz = 0; bz < g.z; bz++) for (unsigned by = 0; by < g.y; by++) for (unsigned bx = 0; bx < g.x; bx++)
            for (int tz = (int)b.z - 1; tz >= 0; tz--) for (int ty = (int)b.y - 1; ty >= 0; ty--)
                for (unsigned tx = 0; tx < b.x; tx++) {
                    blockIdx = make_uint3(bx, by, bz); threadIdx = make_uint3(tx, (unsigned)ty, (unsigned)tz);
                    f(a...);
                }
    }
};
template <typename F> emu_launcher<F> emu_make(dim3 g, dim3 b, F f) { return emu_launcher<F>{g, b, f}; }
#define EMU_LAUNCH(k, g, b) emu_make(dim3(g), dim3(b), &k)
