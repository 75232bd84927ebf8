/* the mkg_* device glue of csrc/cuda_device.cu on host memory, and emu_install(): writes the
 * emulated kernels of the families built into _core's op table as its GPU kernels, for the
 * simulated GPU of _core._install_test_device (host memory) to run */
#include "emu.h"
#include <cstdarg>
thread_local uint3 threadIdx, blockIdx;
thread_local dim3 blockDim, gridDim;
extern "C" { long emu_launches = 0; }
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
    /* warp-synchronous kernels (__shfl_*) cannot be emulated thread after thread: these ops
     * keep the simulated GPU's kernel, the CPU one */
    mk_opdef *ops = mkg_core->ops;
    if (mkg_register_index) ops[MK_OP_IN_TOP_K].kernel[MK_GPU] = ops[MK_OP_IN_TOP_K].kernel[MK_CPU];
    return n;
}
