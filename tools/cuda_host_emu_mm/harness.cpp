#include "emu.h"
#include <cstdarg>
uint3 threadIdx, blockIdx;
dim3 blockDim, gridDim;
cudaStream_t mkg_stream = nullptr;
const mk_core_api *mkg_core = nullptr;
const mk_dtype_info mk_dtypes[MK_NDTYPE] = {
    {"float32", 4, "<f4", 1, 0, 1}, {"float16", 2, "<f2", 1, 0, 1}, {"float64", 8, "<f8", 1, 0, 1},
    {"int32", 4, "<i4", 0, 1, 1}, {"int64", 8, "<i8", 0, 1, 1}, {"uint8", 1, "|u1", 0, 1, 0}, {"bool", 1, "|b1", 0, 0, 0}};
void *mkg_alloc(size_t n) { return malloc(n); }
void mkg_free(void *p, size_t) { free(p); }
int mkg_sm_count(void) { return 2; }
int mkg_err(mk_call *c, const char *fmt, ...) { va_list ap; va_start(ap, fmt); vsnprintf(c->err, MK_ERRLEN, fmt, ap); va_end(ap); return -1; }
int mkg_check_launch(mk_call *) { return 0; }
int mkg_check_cuda(mk_call *c, cudaError_t e, const char *w) { return e ? mkg_err(c, "%s failed", w) : 0; }
extern "C" cudaError_t cudaMemsetAsync(void *p, int v, size_t n, cudaStream_t) { memset(p, v, n); return cudaSuccess; }
extern "C" cudaError_t cudaMemcpyAsync(void *d, const void *s, size_t n, cudaMemcpyKind, cudaStream_t) { memmove(d, s, n); return cudaSuccess; }
void mkg_register_optim(mk_opdef *ops);
void mkg_register_random(mk_opdef *ops);
void mkg_register_matmul(mk_opdef *ops);
static mk_opdef ops[MK_OP_COUNT];
static mk_tensor *mk(void *data, int dtype, int ndim, const int64_t *shape, const int64_t *strides, int flags) {
    mk_tensor *t = (mk_tensor *)calloc(1, sizeof(mk_tensor));
    t->storage = (mk_storage *)calloc(1, sizeof(mk_storage));
    t->storage->data = data; t->dtype = dtype; t->ndim = ndim; t->device = MK_GPU; t->flags = flags;
    for (int i = 0; i < ndim; i++) { t->shape[i] = shape[i]; t->strides[i] = strides[i]; }
    return t;
}
/* per tensor: ptr, dtype, ndim, shape[ndim], strides[ndim] (elements), flags */
extern "C" int emu_call(int op, const void *core, int nin, void **ind, const int *indt, const int *inndim,
                        const int64_t *inshape, const int64_t *instr, int nout, void **outd, const int *outdt,
                        const int *outndim, const int64_t *outshape, const int64_t *outstr,
                        const int64_t *ints, int ni, const double *fl, int nf, char *err) {
    static int reg = 0;
    mkg_core = (const mk_core_api *)core;
    if (!reg) { mkg_register_optim(ops); mkg_register_random(ops); mkg_register_matmul(ops); reg = 1; }
    if (!ops[op].kernel[MK_GPU]) { strcpy(err, "no gpu kernel"); return -2; }
    mk_call c; memset(&c, 0, sizeof c);
    mk_tensor *ins[16], *outs[16];
    for (int k = 0; k < nin; k++) { ins[k] = mk(ind[k], indt[k], inndim[k], inshape, instr, MK_T_VARIABLE); inshape += inndim[k]; instr += inndim[k]; }
    for (int k = 0; k < nout; k++) { outs[k] = mk(outd[k], outdt[k], outndim[k], outshape, outstr, 0); outshape += outndim[k]; outstr += outndim[k]; }
    c.op_id = op; c.nin = nin; c.nout = nout; c.in = ins; c.out = outs;
    for (int i = 0; i < ni; i++) c.a.i[i] = ints[i];
    for (int i = 0; i < nf; i++) c.a.f[i] = fl[i];
    c.a.ni = ni; c.a.nf = nf;
    int rc = ops[op].kernel[MK_GPU](&c);
    strcpy(err, c.err);
    return rc;
}
