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
/* fiber mode (files that transform.py marks EMU_FIBERS: warp shuffles, block barriers, block
 * collectives): each thread of a block is a ucontext fiber; __syncthreads() waits for every live
 * thread of the block, a shuffle for every live lane of the warp (harness.cpp).  Elsewhere the
 * threads run one after another and __syncthreads() is a no-op. */
void emu_syncthreads();
uint64_t emu_shfl(uint64_t v, int src_lane);     /* src_lane < 0: the caller's own value */
int emu_lane();
void emu_run_block(dim3 b, void (*body)(void *), void *arg);
static inline void __syncthreads() { emu_syncthreads(); }
template <typename T> static inline T emu_shfl_t(T v, int src) {
    static_assert(sizeof(T) <= 8, "shuffle of more than 64 bits");
    uint64_t u = 0; memcpy(&u, &v, sizeof(T));
    u = emu_shfl(u, src);
    T r; memcpy(&r, &u, sizeof(T)); return r;
}
template <typename T> static inline T __shfl_xor_sync(unsigned, T v, int m, int width = 32) {
    int lane = emu_lane(), src = lane ^ m;
    return emu_shfl_t(v, (src & ~(width - 1)) == (lane & ~(width - 1)) ? src : -1);
}
template <typename T> static inline T __shfl_down_sync(unsigned, T v, unsigned d, int width = 32) {
    int lane = emu_lane();
    return emu_shfl_t(v, (lane & (width - 1)) + (int)d < width ? lane + (int)d : -1);
}
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
static inline int atomicMin(int *p, int v) { int o = *p; if (v < o) *p = v; return o; }
static inline int atomicMax(int *p, int v) { int o = *p; if (v > o) *p = v; return o; }
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
template <typename F> struct emu_fiber_launcher {
    dim3 g, b; F f;
    template <typename... A> void operator()(A... a) {
        gridDim = g; blockDim = b; emu_launches++;
        auto run = [&]() { f(a...); };
        auto body = [](void *p) { (*(decltype(run) *)p)(); };
        for (unsigned bz = 0; bz < g.z; bz++) for (unsigned by = 0; by < g.y; by++) for (unsigned bx = 0; bx < g.x; bx++) {
            blockIdx = make_uint3(bx, by, bz);
            emu_run_block(b, body, &run);
        }
    }
};
#ifdef EMU_FIBERS
template <typename F> emu_fiber_launcher<F> emu_make(dim3 g, dim3 b, F f) { return emu_fiber_launcher<F>{g, b, f}; }
#else
template <typename F> emu_launcher<F> emu_make(dim3 g, dim3 b, F f) { return emu_launcher<F>{g, b, f}; }
#endif
#define EMU_LAUNCH(k, g, b) emu_make(dim3(g), dim3(b), &k)
