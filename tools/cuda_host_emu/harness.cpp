#include "emu.h"
#include <cstdarg>
uint3 threadIdx, blockIdx;
dim3 blockDim, gridDim;
cudaStream_t mkg_stream = nullptr;
const mk_dtype_info mk_dtypes[MK_NDTYPE] = {
    {"float32", 4, "<f4", 1, 0, 1}, {"float16", 2, "<f2", 1, 0, 1}, {"float64", 8, "<f8", 1, 0, 1},
    {"int32", 4, "<i4", 0, 1, 1}, {"int64", 8, "<i8", 0, 1, 1}, {"uint8", 1, "|u1", 0, 1, 0}, {"bool", 1, "|b1", 0, 0, 0}};
void *mkg_alloc(size_t n) { return malloc(n); }
void mkg_free(void *p, size_t) { free(p); }
int mkg_sm_count(void) { return 2; }
int mkg_tf32_enabled(void) { return 0; }
cudnnHandle_t mkg_cudnn(void) { return (cudnnHandle_t)0x1; }
int mkg_err(mk_call *c, const char *fmt, ...) { va_list ap; va_start(ap, fmt); vsnprintf(c->err, MK_ERRLEN, fmt, ap); va_end(ap); return -1; }
int mkg_check_launch(mk_call *) { return 0; }
int mkg_check_cuda(mk_call *c, cudaError_t e, const char *w) { return e ? mkg_err(c, "%s failed", w) : 0; }
int mkg_check_cudnn(mk_call *c, cudnnStatus_t s, const char *w) { return s ? mkg_err(c, "%s: status %d", w, (int)s) : 0; }
extern "C" cudaError_t cudaMemsetAsync(void *p, int v, size_t n, cudaStream_t) { memset(p, v, n); return cudaSuccess; }
void mkg_register_pool(mk_opdef *ops);
void mkg_register_norm(mk_opdef *ops);
void mkg_register_conv(mk_opdef *ops);
static mk_opdef ops[MK_OP_COUNT];
static mk_tensor *mk(void *data, int dtype, int ndim, const int64_t *shape) {
    mk_tensor *t = (mk_tensor *)calloc(1, sizeof(mk_tensor));
    t->storage = (mk_storage *)calloc(1, sizeof(mk_storage));
    t->storage->data = data; t->dtype = dtype; t->ndim = ndim; t->device = MK_GPU;
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
    mk_contiguous_strides(ndim, t->shape, t->strides);
    return t;
}
void mk_contiguous_strides(int ndim, const int64_t *shape, int64_t *strides) {
    int64_t s = 1; for (int i = ndim - 1; i >= 0; i--) { strides[i] = s; s *= shape[i]; }
}
extern "C" int emu_call(int op, int nin, void **ind, const int *inndim, const int64_t *inshape, int dtype,
                        int nout, void **outd, const int *outndim, const int64_t *outshape,
                        const int64_t *ints, int ni, const double *fl, int nf, char *err) {
    static int reg = 0;
    if (!reg) { mkg_register_pool(ops); mkg_register_norm(ops); mkg_register_conv(ops); reg = 1; }
    if (!ops[op].kernel[MK_GPU]) { strcpy(err, "no gpu kernel"); return -2; }
    mk_call c; memset(&c, 0, sizeof c);
    mk_tensor *ins[16], *outs[16];
    for (int k = 0; k < nin; k++) { ins[k] = mk(ind[k], dtype, inndim[k], inshape); inshape += inndim[k]; }
    for (int k = 0; k < nout; k++) { outs[k] = mk(outd[k], dtype, outndim[k], outshape); outshape += outndim[k]; }
    c.op_id = op; c.nin = nin; c.nout = nout; c.in = ins; c.out = outs;
    for (int i = 0; i < ni; i++) c.a.i[i] = ints[i];
    for (int i = 0; i < nf; i++) c.a.f[i] = fl[i];
    c.a.ni = ni; c.a.nf = nf;
    int rc = ops[op].kernel[MK_GPU](&c);
    strcpy(err, c.err);
    return rc;
}
