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
#undef __launch_bounds__
#define __launch_bounds__(...)
#undef __shared__
#define __shared__ static thread_local
extern thread_local uint3 threadIdx, blockIdx;
extern thread_local dim3 blockDim, gridDim;
extern "C" long emu_launches;                 /* kernel launches emulated so far */
static inline void __syncthreads() {}
/* device intrinsics the kernels (or math_constants.h) use, as their documented host equivalents */
static inline double __longlong_as_double(long long x) { double d; memcpy(&d, &x, 8); return d; }
static inline long long __double_as_longlong(double x) { long long r; memcpy(&r, &x, 8); return r; }
static inline float __int_as_float(int x) { float f; memcpy(&f, &x, 4); return f; }
static inline int __float_as_int(float x) { int r; memcpy(&r, &x, 4); return r; }
static inline unsigned __float_as_uint(float x) { unsigned r; memcpy(&r, &x, 4); return r; }
static inline float __uint_as_float(unsigned x) { float f; memcpy(&f, &x, 4); return f; }
/* atomics: exact, since the threads run one after another (only the order of float sums
 * differs from a GPU's, which is unspecified there anyway) */
static inline float atomicAdd(float *p, float v) { float o = *p; *p = o + v; return o; }
static inline double atomicAdd(double *p, double v) { double o = *p; *p = o + v; return o; }
static inline int atomicAdd(int *p, int v) { int o = *p; *p = (int)((unsigned)o + (unsigned)v); return o; }
static inline unsigned atomicAdd(unsigned *p, unsigned v) { unsigned o = *p; *p = o + v; return o; }
static inline unsigned long long atomicAdd(unsigned long long *p, unsigned long long v) { unsigned long long o = *p; *p = o + v; return o; }
static inline unsigned atomicCAS(unsigned *p, unsigned cmp, unsigned v) { unsigned o = *p; if (o == cmp) *p = v; return o; }
/* warp-synchronous code cannot run one thread after another: ops using it are not installed
 * (harness.cpp, emu_install), so this is never reached */
template <typename T> static inline T __shfl_down_sync(unsigned, T, int) { fprintf(stderr, "emu: __shfl_down_sync\n"); abort(); }
/* threads of a block run in reverse threadIdx.y / .z order, so that a __syncthreads() reduction
 * read by threadIdx.y == 0 sees every other row's write */
template <typename F> struct emu_launcher {
    dim3 g, b; F f;
    template <typename... A> void operator()(A... a) {
        gridDim = g; blockDim = b; emu_launches++;
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
