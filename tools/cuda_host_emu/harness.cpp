/* the mkg_* device glue of csrc/cuda_device.cu on host memory, and emu_install(): writes the
 * emulated kernels of the families built into _core's op table as its GPU kernels, for the
 * simulated GPU of _core._install_test_device (host memory) to run */
#include "emu.h"
#include <cstdarg>
#include <ucontext.h>
#include <vector>
thread_local uint3 threadIdx, blockIdx;
thread_local dim3 blockDim, gridDim;
extern "C" { long emu_launches = 0; }

/* ---- fiber mode: the threads of one block as ucontext fibers ---------------------------- */
enum { F_RUN, F_BAR, F_SHFL, F_DONE };
struct emu_fiber { ucontext_t ctx; int st; uint3 tid; uint64_t val, res; int src; };
static thread_local std::vector<emu_fiber> *g_fib;
static thread_local std::vector<char> *g_stacks;
static thread_local int g_cur = -1;             /* the running fiber, -1: not in fiber mode */
static thread_local ucontext_t g_sched;
static thread_local void (*g_body)(void *);
static thread_local void *g_arg;
static const size_t STACK = 64 << 10;
static void fiber_main() { g_body(g_arg); (*g_fib)[g_cur].st = F_DONE; }   /* returns to uc_link */
static void yield_as(int st) { emu_fiber &f = (*g_fib)[g_cur]; f.st = st; swapcontext(&f.ctx, &g_sched); }
void emu_syncthreads() { if (g_cur >= 0) yield_as(F_BAR); }
int emu_lane() { return g_cur >= 0 ? g_cur & 31 : (int)(threadIdx.x & 31); }
uint64_t emu_shfl(uint64_t v, int src) {
    if (g_cur < 0) { fprintf(stderr, "emu: a shuffle outside fiber mode (transform.py marks the file?)\n"); abort(); }
    emu_fiber &f = (*g_fib)[g_cur];
    f.val = v; f.src = src;
    yield_as(F_SHFL);
    return (*g_fib)[g_cur].res;
}
void emu_run_block(dim3 b, void (*body)(void *), void *arg) {
    int n = (int)(b.x * b.y * b.z);
    if (!g_fib) { g_fib = new std::vector<emu_fiber>(); g_stacks = new std::vector<char>(); }
    std::vector<emu_fiber> &F = *g_fib;
    F.resize(n);
    if (g_stacks->size() < (size_t)n * STACK) g_stacks->resize((size_t)n * STACK);
    g_body = body; g_arg = arg;
    for (int i = 0; i < n; i++) {       /* linear thread id: x fastest; warp = id / 32 */
        getcontext(&F[i].ctx);
        F[i].ctx.uc_stack.ss_sp = g_stacks->data() + (size_t)i * STACK;
        F[i].ctx.uc_stack.ss_size = STACK;
        F[i].ctx.uc_link = &g_sched;
        makecontext(&F[i].ctx, fiber_main, 0);
        F[i].st = F_RUN;
        F[i].tid = make_uint3(i % b.x, (i / b.x) % b.y, i / (b.x * b.y));
    }
    for (;;) {
        bool ran = false;
        for (int i = 0; i < n; i++)
            if (F[i].st == F_RUN) {
                g_cur = i; threadIdx = F[i].tid;
                swapcontext(&g_sched, &F[i].ctx);
                ran = true;
            }
        g_cur = -1;
        int live = 0, bar = 0;
        for (int i = 0; i < n; i++) { live += F[i].st != F_DONE; bar += F[i].st == F_BAR; }
        if (!live) break;
        bool released = false;
        if (bar == live) {                  /* __syncthreads: every live thread arrived */
            for (int i = 0; i < n; i++) if (F[i].st == F_BAR) F[i].st = F_RUN;
            released = true;
        }
        for (int w0 = 0; w0 < n; w0 += 32) {            /* a shuffle: every live lane arrived */
            int w1 = w0 + 32 < n ? w0 + 32 : n, wl = 0, ws = 0;
            for (int i = w0; i < w1; i++) { wl += F[i].st != F_DONE; ws += F[i].st == F_SHFL; }
            if (!ws || ws != wl) continue;
            for (int i = w0; i < w1; i++) {
                if (F[i].st != F_SHFL) continue;
                int s = F[i].src < 0 ? i : w0 + F[i].src;
                F[i].res = s < w1 && F[s].st == F_SHFL ? F[s].val : F[i].val;
            }
            for (int i = w0; i < w1; i++) if (F[i].st == F_SHFL) F[i].st = F_RUN;
            released = true;
        }
        if (!ran && !released) {
            fprintf(stderr, "emu: block (%u,%u,%u) deadlocks (threads at different barriers/shuffles)\n",
                    blockIdx.x, blockIdx.y, blockIdx.z);
            abort();
        }
    }
}

cudaStream_t mkg_stream = nullptr;
const mk_core_api *mkg_core = nullptr;
const mk_dtype_info mk_dtypes[MK_NDTYPE] = {
    {"float32", 4, "<f4", 1, 0, 1}, {"float16", 2, "<f2", 1, 0, 1}, {"float64", 8, "<f8", 1, 0, 1},
    {"int32", 4, "<i4", 0, 1, 1}, {"int64", 8, "<i8", 0, 1, 1}, {"uint8", 1, "|u1", 0, 1, 0}, {"bool", 1, "|b1", 0, 0, 0}};
void *mkg_alloc(size_t n) { return malloc(n ? n : 1); }
void mkg_free(void *p, size_t) { free(p); }
int mkg_sm_count(void) { return 2; }
int mkg_tf32_enabled(void) { return 1; }          /* TF's default; the stubs compute in double anyway */
int mkg_err(mk_call *c, const char *fmt, ...) { va_list ap; va_start(ap, fmt); vsnprintf(c->err, MK_ERRLEN, fmt, ap); va_end(ap); return -1; }
int mkg_check_launch(mk_call *) { return 0; }
int mkg_check_cuda(mk_call *c, cudaError_t e, const char *w) { return e ? mkg_err(c, "%s failed", w) : 0; }
extern "C" cudaError_t cudaMemsetAsync(void *p, int v, size_t n, cudaStream_t) { memset(p, v, n); return cudaSuccess; }
extern "C" cudaError_t cudaMemcpyAsync(void *d, const void *s, size_t n, cudaMemcpyKind, cudaStream_t) { memmove(d, s, n); return cudaSuccess; }
/* the families not built are absent (weak, null) */
#define MKG_FAMILY(f) void mkg_register_##f(mk_opdef *ops) __attribute__((weak));
#include "kernels/cuda_families.def"
#undef MKG_FAMILY
/* core: the `const mk_core_api *` of _core's "_api" capsule; returns how many families it installed */
extern "C" int emu_install(const void *core) {
    mkg_core = (const mk_core_api *)core;
    int n = 0;
#define MKG_FAMILY(f) if (mkg_register_##f) { mkg_register_##f(mkg_core->ops); n++; }
#include "kernels/cuda_families.def"
#undef MKG_FAMILY
    return n;
}
