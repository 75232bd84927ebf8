/* Shape family on the GPU: the twin of shape.c (same ops, same attributes).
 *
 * Every op only moves elements, so kernels are chosen by ITEM SIZE (1, 2, 4, 8 bytes), not by
 * dtype: float16 (MK_OP_F16_NATIVE) and bool are just 2- and 1-byte elements.
 *
 * The "view" ops (reshape, transpose, broadcast_to, strided_slice, split) are not MK_OP_VIEW:
 * infer makes them views when it can, and their kernels return at once when the output shares
 * the input's storage; otherwise (a Variable's buffer, a reshape that needs a copy) they copy
 * through the view's geometry.  The geometry is recomputed here from the attributes (c->meta is
 * NULL when a traced graph replays a kernel), exactly as shape.c does.
 *
 * All copies go through gcopy(): dst[idx . ds] = src[idx . ss] over a block of up to 16 axes
 * (strides in elements, any sign, 0 broadcasts), axes collapsed first as in shape.c's scopy.
 * One thread per element; the flat index is decomposed with 32-bit division when it fits. */
#include "cuda_common.cuh"

#define GC_MAXD (2 * MK_MAXDIM)

/* ---- the strided copy ------------------------------------------------------ */

typedef struct {
    int nd;
    int64_t shape[GC_MAXD];
    int64_t ds[GC_MAXD];
    int64_t ss[GC_MAXD];
} gc_geom;

template <typename T, typename I>
__global__ void gcopy_kernel(T *__restrict__ dst, const T *__restrict__ src, gc_geom g, I n) {
    for (I f = (I)blockIdx.x * blockDim.x + threadIdx.x; f < n; f += (I)blockDim.x * gridDim.x) {
        I r = f;
        int64_t od = 0, os = 0;
        for (int d = g.nd - 1; d >= 0; d--) {
            I sh = (I)g.shape[d];
            I q = r / sh;
            int64_t k = (int64_t)(r - q * sh);
            od += k * g.ds[d];
            os += k * g.ss[d];
            r = q;
        }
        dst[od] = src[os];
    }
}

template <typename T>
static int gcopy_launch(mk_call *c, char *dst, const char *src, const gc_geom &g, int64_t n) {
    /* 32-bit indexing below 2^31 elements (the grid-stride step cannot wrap then) */
    if (n <= (int64_t)INT32_MAX)
        gcopy_kernel<T, uint32_t><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(
            (T *)dst, (const T *)src, g, (uint32_t)n);
    else
        gcopy_kernel<T, uint64_t><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(
            (T *)dst, (const T *)src, g, (uint64_t)n);
    return mkg_check_launch(c);
}

/* Copy an nd-dim block of isz-byte elements: dst[idx . ds] = src[idx . ss].  dst and src
 * must not overlap.  Enqueues nothing for an empty block. */
static int gcopy(mk_call *c, int isz, int nd, const int64_t *shape, char *dst, const int64_t *ds,
                 const char *src, const int64_t *ss) {
    gc_geom g;
    int n = 0;
    for (int i = 0; i < nd; i++) {
        if (shape[i] == 0) return 0;
        if (shape[i] == 1) continue;
        if (n > 0 && g.ds[n - 1] == ds[i] * shape[i] && g.ss[n - 1] == ss[i] * shape[i]) {
            g.shape[n - 1] *= shape[i]; g.ds[n - 1] = ds[i]; g.ss[n - 1] = ss[i];
        } else {
            g.shape[n] = shape[i]; g.ds[n] = ds[i]; g.ss[n] = ss[i]; n++;
        }
    }
    if (n == 0) {   /* one element */
        return mkg_check_cuda(c, cudaMemcpyAsync(dst, src, isz, cudaMemcpyDeviceToDevice, mkg_stream),
                              "cudaMemcpyAsync");
    }
    if (n == 1 && g.ds[0] == 1 && g.ss[0] == 1)     /* dense to dense */
        return mkg_check_cuda(c, cudaMemcpyAsync(dst, src, (size_t)(g.shape[0] * isz),
                                                 cudaMemcpyDeviceToDevice, mkg_stream),
                              "cudaMemcpyAsync");
    g.nd = n;
    int64_t total = 1;
    for (int i = 0; i < n; i++) total *= g.shape[i];
    MKG_BY_ITEMSIZE(c, isz, T, return gcopy_launch<T>(c, dst, src, g, total));
}

static inline int isz_of(const mk_tensor *t) { return mk_dtypes[t->dtype].itemsize; }

static void contig_strides(int nd, const int64_t *shape, int64_t *st) {
    int64_t s = 1;
    for (int i = nd - 1; i >= 0; i--) { st[i] = s; s *= shape[i]; }
}

/* copy a source view (base + offset, strides) into the dense output o */
static int copy_view_to(mk_call *c, mk_tensor *o, const char *src, const int64_t *ss) {
    int64_t os[MK_MAXDIM];
    contig_strides(o->ndim, o->shape, os);
    return gcopy(c, isz_of(o), o->ndim, o->shape, (char *)mk_data(o), os, src, ss);
}

/* ---- converting an attribute value to an element (pad's constant) --------- */

/* the bits of (T)v as shape.c's fill_value computes them (bool: v != 0) */
static uint64_t value_bits(int dtype, double v) {
    uint64_t bits = 0;
    switch (dtype) {
    case MK_F32: { float x = (float)v; memcpy(&bits, &x, 4); break; }
    case MK_F64: { memcpy(&bits, &v, 8); break; }
    case MK_F16: { __half x = __double2half(v); memcpy(&bits, &x, 2); break; }
    case MK_I32: { int32_t x = (int32_t)v; memcpy(&bits, &x, 4); break; }
    case MK_I64: { int64_t x = (int64_t)v; memcpy(&bits, &x, 8); break; }
    case MK_U8: { uint8_t x = (uint8_t)v; memcpy(&bits, &x, 1); break; }
    case MK_BOOL: { uint8_t x = v != 0; memcpy(&bits, &x, 1); break; }
    }
    return bits;
}

/* ---- reshape: a copy of x in C order unless the output is a view ------------ */

static int k_reshape_gpu(mk_call *c) {
    mk_tensor *x = c->in[0], *o = c->out[0];
    if (o->storage == x->storage) return 0;
    int64_t ds[MK_MAXDIM];
    contig_strides(x->ndim, x->shape, ds);
    return gcopy(c, isz_of(x), x->ndim, x->shape, (char *)mk_data(o), ds, (const char *)mk_data(x),
                 x->strides);
}

/* ---- transpose: ints = perm ------------------------------------------------ */

static int k_transpose_gpu(mk_call *c) {
    mk_tensor *x = c->in[0], *o = c->out[0];
    if (o->storage == x->storage || mk_numel(o) == 0) return 0;
    int64_t ss[MK_MAXDIM];
    for (int i = 0; i < x->ndim; i++) ss[i] = x->strides[c->a.i[i]];
    return copy_view_to(c, o, (const char *)mk_data(x), ss);
}

/* ---- broadcast_to: ints = target shape (the output's shape) ----------------- */

static int k_broadcast_to_gpu(mk_call *c) {
    mk_tensor *x = c->in[0], *o = c->out[0];
    if (o->storage == x->storage || mk_numel(o) == 0) return 0;
    int64_t ss[MK_MAXDIM];
    int off = o->ndim - x->ndim;
    for (int i = 0; i < o->ndim; i++)
        ss[i] = (i < off || x->shape[i - off] != o->shape[i]) ? 0 : x->strides[i - off];
    return copy_view_to(c, o, (const char *)mk_data(x), ss);
}

/* ---- strided_slice / strided_slice_grad -------------------------------------
 * ints: begin_d, end_d, stride_d per input dim, then new_axis_mask, shrink_mask (shape.c).
 * Infer validated them.  Per input dim d: len_d indices begin_d + j * step_d; the output
 * holds them in input-dim order (new axes and shrunk dims have size 1), so as a block over
 * the input dims the output is dense over len[]. */

typedef struct {
    int64_t begin[MK_MAXDIM], len[MK_MAXDIM], step[MK_MAXDIM];
    int out_axis[MK_MAXDIM];     /* output axis of input dim d, -1 when shrunk */
} sgeom;

static int slice_geom(mk_call *c, const mk_tensor *x, sgeom *g) {
    int nd = x->ndim;
    if (c->a.ni != 3 * nd + 2) return mkg_err(c, "expects 3 * rank + 2 int attributes");
    int64_t newm = c->a.i[3 * nd], shrink = c->a.i[3 * nd + 1];
    for (int d = 0; d < nd; d++) {
        int64_t b = c->a.i[3 * d], e = c->a.i[3 * d + 1], s = c->a.i[3 * d + 2], len;
        if (s == 0) return mkg_err(c, "strides[%d] must be non-zero", d);
        if (s > 0) len = e > b ? (e - b - 1) / s + 1 : 0;
        else len = b > e ? (b - e - 1) / (-s) + 1 : 0;
        g->begin[d] = b; g->len[d] = len; g->step[d] = s;
    }
    /* the output axis of each input dim: walk entries as shape.c does */
    int nent = nd;
    for (int e = 0; e < 64; e++) nent += (int)((newm >> e) & 1);
    int d = 0, k = 0;
    for (int e = 0; e < nent && d < nd; e++) {
        if ((newm >> e) & 1) { k++; continue; }
        g->out_axis[d] = ((shrink >> d) & 1) ? -1 : k++;
        d++;
    }
    return 0;
}

static int k_strided_slice_gpu(mk_call *c) {
    mk_tensor *x = c->in[0], *o = c->out[0];
    if (o->storage == x->storage || mk_numel(o) == 0) return 0;
    sgeom g;
    if (slice_geom(c, x, &g) < 0) return -1;
    int64_t ss[MK_MAXDIM], ds[MK_MAXDIM], off = 0;
    for (int d = 0; d < x->ndim; d++) {
        ss[d] = x->strides[d] * g.step[d];
        off += g.begin[d] * x->strides[d];
    }
    contig_strides(x->ndim, g.len, ds);
    int isz = isz_of(x);
    return gcopy(c, isz, x->ndim, g.len, (char *)mk_data(o), ds, (const char *)mk_data(x) + off * isz, ss);
}

/* strided_slice_grad(x, dy): zeros shaped like x, dy written through the slice */
static int k_strided_slice_grad_gpu(mk_call *c) {
    mk_tensor *x = c->in[0], *dy = c->in[1], *o = c->out[0];
    int isz = isz_of(o);
    if (mk_numel(o) == 0) return 0;
    sgeom g;
    if (slice_geom(c, x, &g) < 0) return -1;
    if (mkg_check_cuda(c, cudaMemsetAsync(mk_data(o), 0, (size_t)(mk_numel(o) * isz), mkg_stream),
                       "cudaMemsetAsync") < 0)
        return -1;
    int64_t os[MK_MAXDIM], ds[MK_MAXDIM], ss[MK_MAXDIM], n = 1, off = 0;
    contig_strides(o->ndim, o->shape, os);
    for (int d = 0; d < x->ndim; d++) {
        n *= g.len[d];
        off += g.begin[d] * os[d];
        ds[d] = os[d] * g.step[d];
        ss[d] = g.out_axis[d] < 0 ? 0 : dy->strides[g.out_axis[d]];
    }
    if (n == 0) return 0;
    return gcopy(c, isz, x->ndim, g.len, (char *)mk_data(o) + off * isz, ds, (const char *)mk_data(dy), ss);
}

/* ---- concat: variadic, ints[0] = axis; one copy launch per input ------------- */

static int k_concat_gpu(mk_call *c) {
    mk_tensor *o = c->out[0];
    int ax = (int)(c->a.i[0] < 0 ? c->a.i[0] + o->ndim : c->a.i[0]);
    int isz = isz_of(o);
    int64_t os[MK_MAXDIM], start = 0;
    contig_strides(o->ndim, o->shape, os);
    for (int k = 0; k < c->nin; k++) {
        mk_tensor *x = c->in[k];
        if (gcopy(c, isz, x->ndim, x->shape, (char *)mk_data(o) + start * os[ax] * isz, os,
                  (const char *)mk_data(x), x->strides) < 0)
            return -1;
        start += x->shape[ax];
    }
    return 0;
}

/* ---- split: MULTI_OUT views; ints[0] = axis.  The outputs' shapes already hold the
 * sizes, so output k starts at the sum of the earlier outputs' sizes along axis. ---- */

static int k_split_gpu(mk_call *c) {
    mk_tensor *x = c->in[0];
    int ax = (int)(c->a.i[0] < 0 ? c->a.i[0] + x->ndim : c->a.i[0]);
    int isz = isz_of(x);
    int64_t start = 0;
    for (int k = 0; k < c->nout; k++) {
        mk_tensor *o = c->out[k];
        int64_t s = o->shape[ax];
        if (o->storage != x->storage && mk_numel(o) > 0 &&
            copy_view_to(c, o, (const char *)mk_data(x) + start * x->strides[ax] * isz, x->strides) < 0)
            return -1;
        start += s;
    }
    return 0;
}

/* ---- pad: ints = [mode, before_0, after_0, ...]; mode 0 CONSTANT (floats[0]),
 * 1 REFLECT, 2 SYMMETRIC.  One kernel writes every output element: its source index along
 * each dim is j = out - before, mirrored once (infer bounds the paddings so once is enough):
 *   j < 0:  reflect -j,        symmetric -j - 1
 *   j >= n: reflect 2n - 2 - j, symmetric 2n - 1 - j
 * and for CONSTANT an index outside [0, n) on any dim gives the value. ----------- */

typedef struct {
    int nd, mode;
    int64_t oshape[MK_MAXDIM], xshape[MK_MAXDIM], before[MK_MAXDIM], xstrides[MK_MAXDIM];
} pad_geom;

template <typename T>
__global__ void pad_kernel(T *__restrict__ o, const T *__restrict__ x, pad_geom g, T value, int64_t n) {
    MKG_GRID_STRIDE(f, n) {
        int64_t r = f, off = 0;
        bool inside = true;
        for (int d = g.nd - 1; d >= 0; d--) {
            int64_t q = r / g.oshape[d];
            int64_t j = r - q * g.oshape[d] - g.before[d], xn = g.xshape[d];
            r = q;
            if (j < 0 || j >= xn) {
                if (g.mode == 0) { inside = false; break; }
                if (j < 0) j = g.mode == 1 ? -j : -j - 1;
                else j = g.mode == 1 ? 2 * xn - 2 - j : 2 * xn - 1 - j;
            }
            off += j * g.xstrides[d];
        }
        o[f] = inside ? x[off] : value;
    }
}

template <typename T>
static int pad_launch(mk_call *c, mk_tensor *o, const mk_tensor *x, const pad_geom &g, uint64_t vbits) {
    T value;
    memcpy(&value, &vbits, sizeof(T));   /* little-endian: the low bytes hold the element */
    int64_t n = mk_numel(o);
    pad_kernel<T><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(mkg_ptr<T>(o), mkg_ptr<const T>(x), g, value, n);
    return mkg_check_launch(c);
}

static int k_pad_gpu(mk_call *c) {
    mk_tensor *x = c->in[0], *o = c->out[0];
    if (mk_numel(o) == 0) return 0;
    pad_geom g;
    g.nd = x->ndim;
    g.mode = (int)c->a.i[0];
    for (int d = 0; d < x->ndim; d++) {
        g.oshape[d] = o->shape[d]; g.xshape[d] = x->shape[d];
        g.before[d] = c->a.i[1 + 2 * d]; g.xstrides[d] = x->strides[d];
    }
    /* a mirror mode never reads x when x is empty (then o is empty too), so only
     * CONSTANT can get here with an empty x: every element is the value */
    uint64_t vbits = value_bits(o->dtype, g.mode == 0 ? c->a.f[0] : 0.0);
    int isz = isz_of(o);
    MKG_BY_ITEMSIZE(c, isz, T, return pad_launch<T>(c, o, x, g, vbits));
}

/* ---- tile: ints = multiples; the 2*nd-axis block copy of shape.c --------------- */

static int k_tile_gpu(mk_call *c) {
    mk_tensor *x = c->in[0], *o = c->out[0];
    int nd = x->ndim;
    if (mk_numel(o) == 0) return 0;
    int64_t os[MK_MAXDIM], sh[GC_MAXD], ds[GC_MAXD], ss[GC_MAXD];
    contig_strides(nd, o->shape, os);
    for (int d = 0; d < nd; d++) {
        sh[2 * d] = c->a.i[d];       ds[2 * d] = x->shape[d] * os[d]; ss[2 * d] = 0;
        sh[2 * d + 1] = x->shape[d]; ds[2 * d + 1] = os[d];           ss[2 * d + 1] = x->strides[d];
    }
    return gcopy(c, isz_of(x), 2 * nd, sh, (char *)mk_data(o), ds, (const char *)mk_data(x), ss);
}

/* ---- reverse: ints = axes (negative allowed; infer checked them) ------------------ */

static int k_reverse_gpu(mk_call *c) {
    mk_tensor *x = c->in[0], *o = c->out[0];
    if (mk_numel(x) == 0) return 0;
    int rev[MK_MAXDIM] = {0}, isz = isz_of(x);
    for (int k = 0; k < c->a.ni; k++) {
        int64_t a = c->a.i[k] < 0 ? c->a.i[k] + x->ndim : c->a.i[k];
        if (a < 0 || a >= x->ndim) return mkg_err(c, "axis %lld out of range", (long long)c->a.i[k]);
        rev[a] = 1;
    }
    int64_t ss[MK_MAXDIM], os[MK_MAXDIM], off = 0;
    contig_strides(x->ndim, x->shape, os);
    for (int d = 0; d < x->ndim; d++) {
        ss[d] = rev[d] ? -x->strides[d] : x->strides[d];
        if (rev[d]) off += (x->shape[d] - 1) * x->strides[d];
    }
    return gcopy(c, isz, x->ndim, x->shape, (char *)mk_data(o), os, (const char *)mk_data(x) + off * isz, ss);
}

/* ---- registration ---------------------------------------------------------- */

void mkg_register_shape(mk_opdef *ops) {
    ops[MK_OP_RESHAPE].kernel[MK_GPU] = k_reshape_gpu;
    ops[MK_OP_TRANSPOSE].kernel[MK_GPU] = k_transpose_gpu;
    ops[MK_OP_BROADCAST_TO].kernel[MK_GPU] = k_broadcast_to_gpu;
    ops[MK_OP_STRIDED_SLICE].kernel[MK_GPU] = k_strided_slice_gpu;
    ops[MK_OP_STRIDED_SLICE_GRAD].kernel[MK_GPU] = k_strided_slice_grad_gpu;
    ops[MK_OP_CONCAT].kernel[MK_GPU] = k_concat_gpu;
    ops[MK_OP_SPLIT].kernel[MK_GPU] = k_split_gpu;
    ops[MK_OP_PAD].kernel[MK_GPU] = k_pad_gpu;
    ops[MK_OP_TILE].kernel[MK_GPU] = k_tile_gpu;
    ops[MK_OP_REVERSE].kernel[MK_GPU] = k_reverse_gpu;
}
