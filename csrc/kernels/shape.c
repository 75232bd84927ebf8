/* Shape family: data movement, for every dtype (float16 included: these ops
 * only move bytes, so all are MK_OP_F16_NATIVE).
 *
 * Views: transpose, broadcast_to, strided_slice, split, reshape.  Infer fills
 *   .view=1/.strides/.offset, so the output shares the input's storage and costs
 *   no copy.  Two exceptions make them copies instead, decided by infer per call:
 *   - reshape of an input whose strides do not allow a view (numpy's no-copy
 *     rule fails, e.g. most reshapes of a transpose): a contiguous copy;
 *   - any of them applied to a Variable's buffer (MK_T_VARIABLE): reading a
 *     variable gives a value, as in TensorFlow, so `y = v[0]; v.assign(...)` must
 *     not change y.  A contiguous copy.
 *   Hence these ops are NOT flagged MK_OP_VIEW: each has a kernel that returns at
 *   once when its outputs alias the input (one pointer compare; also when a traced
 *   graph re-runs it) and otherwise copies through the view geometry.
 * Copies: concat, pad, tile, reverse, strided_slice_grad.
 * All copies go through scopy(), a strided block copy that collapses axes and
 * splits the work over OpenMP threads. */
#include "loops.h"
#include <stdio.h>
#include <stdlib.h>

#define SC_MAXD (2 * MK_MAXDIM)

/* ---- the strided copy ------------------------------------------------------ */

static inline void copy_row(int isz, int64_t n, char *d, int64_t ds, const char *s, int64_t ss) {
    if (ds == 1 && ss == 1) { memcpy(d, s, (size_t)(n * isz)); return; }
    switch (isz) {
#define ROW(T) { T *pd = (T *)d; const T *ps = (const T *)s;                           \
                 if (ds == 1) for (int64_t i = 0; i < n; i++) pd[i] = ps[i * ss];         \
                 else for (int64_t i = 0; i < n; i++) pd[i * ds] = ps[i * ss]; } break;
    case 1: ROW(uint8_t)
    case 2: ROW(uint16_t)
    case 4: ROW(uint32_t)
    case 8: ROW(uint64_t)
#undef ROW
    default:
        for (int64_t i = 0; i < n; i++) memcpy(d + i * ds * isz, s + i * ss * isz, isz);
    }
}

/* one scopy plan after axis collapsing; rows of `len` elements along the last axis */
typedef struct {
    int isz, n;
    int64_t sh[SC_MAXD], a[SC_MAXD], b[SC_MAXD];
    int64_t len, da, sb, rows, per, nch;
    char *dst;
    const char *src;
} sc_plan;

#define SC_CHUNK 8192

/* task t of a plan with long rows: one chunk of one row */
static inline void sc_long_task(const sc_plan *p, int64_t t) {
    int64_t r = t / p->nch, i0 = (t % p->nch) * SC_CHUNK;
    int64_t i1 = i0 + SC_CHUNK < p->len ? i0 + SC_CHUNK : p->len;
    int64_t od = 0, os = 0;
    for (int d = p->n - 2; d >= 0; d--) {
        int64_t k = r % p->sh[d];
        r /= p->sh[d];
        od += k * p->a[d]; os += k * p->b[d];
    }
    copy_row(p->isz, i1 - i0, p->dst + (od + i0 * p->da) * p->isz, p->da,
             p->src + (os + i0 * p->sb) * p->isz, p->sb);
}

/* task t of a plan with short rows: a block of `per` rows walked with a carried index */
static inline void sc_short_task(const sc_plan *p, int64_t t) {
    int64_t r0 = t * p->per, r1 = r0 + p->per < p->rows ? r0 + p->per : p->rows;
    int64_t idx[SC_MAXD], od = 0, os = 0, r = r0;
    for (int d = p->n - 2; d >= 0; d--) {
        idx[d] = r % p->sh[d];
        r /= p->sh[d];
        od += idx[d] * p->a[d]; os += idx[d] * p->b[d];
    }
    for (int64_t q = r0; q < r1; q++) {
        copy_row(p->isz, p->len, p->dst + od * p->isz, p->da, p->src + os * p->isz, p->sb);
        for (int d = p->n - 2; d >= 0; d--) {
            idx[d]++; od += p->a[d]; os += p->b[d];
            if (idx[d] < p->sh[d]) break;
            od -= p->a[d] * p->sh[d]; os -= p->b[d] * p->sh[d];
            idx[d] = 0;
        }
    }
}

/* Copy an nd-dim block of isz-byte elements: dst[idx . ds] = src[idx . ss]
 * (strides in elements, any sign).  nd <= SC_MAXD.  dst and src must not overlap.
 * Small copies never enter an OpenMP region (that alone costs about a microsecond). */
#define SC_PAR_MIN_BYTES ((int64_t)1 << 21)

static void scopy(int isz, int nd, const int64_t *shape, char *dst, const int64_t *ds,
                  const char *src, const int64_t *ss) {
    sc_plan P;
    int n = 0;
    for (int i = 0; i < nd; i++) {
        if (shape[i] == 0) return;
        if (shape[i] == 1) continue;
        if (n > 0 && P.a[n - 1] == ds[i] * shape[i] && P.b[n - 1] == ss[i] * shape[i]) {
            P.sh[n - 1] *= shape[i]; P.a[n - 1] = ds[i]; P.b[n - 1] = ss[i];
        } else {
            P.sh[n] = shape[i]; P.a[n] = ds[i]; P.b[n] = ss[i]; n++;
        }
    }
    if (n == 0) { memcpy(dst, src, isz); return; }
    P.isz = isz; P.n = n; P.dst = dst; P.src = src;
    P.len = P.sh[n - 1]; P.da = P.a[n - 1]; P.sb = P.b[n - 1];
    P.rows = 1;
    for (int i = 0; i < n - 1; i++) P.rows *= P.sh[i];
    int64_t total = P.rows * P.len;
    /* a copy is memory-bound: one core streams ~10 GB/s, so threads only pay off on
     * megabytes (waking the OpenMP team costs more than copying a 300 KB image) */
    if (total * isz < SC_PAR_MIN_BYTES) {
        P.per = P.rows;
        sc_short_task(&P, 0);
        return;
    }
    if (P.len >= SC_CHUNK) {
        P.nch = (P.len + SC_CHUNK - 1) / SC_CHUNK;
        int64_t ntask = P.rows * P.nch;
        #pragma omp parallel for schedule(static)
        for (int64_t t = 0; t < ntask; t++) sc_long_task(&P, t);
    } else {
        P.per = (4096 + P.len - 1) / P.len;
        int64_t ntask = (P.rows + P.per - 1) / P.per;
        #pragma omp parallel for schedule(static)
        for (int64_t t = 0; t < ntask; t++) sc_short_task(&P, t);
    }
}

/* fill n contiguous elements with value v converted to dtype */
static void fill_value(void *p, int dtype, int64_t n, double v) {
    switch (dtype) {
#define FILL(T, X) { T *q = p; T x = (T)(X);                                             \
        if (n < MK_PAR_MIN) { for (int64_t i = 0; i < n; i++) q[i] = x; break; }         \
        _Pragma("omp parallel for schedule(static)")                                     \
        for (int64_t i = 0; i < n; i++) q[i] = x; } break;
    case MK_F32: FILL(float, v)
    case MK_F64: FILL(double, v)
    case MK_F16: FILL(_Float16, v)
    case MK_I32: FILL(int32_t, v)
    case MK_I64: FILL(int64_t, v)
    case MK_U8: FILL(uint8_t, v)
    case MK_BOOL: FILL(uint8_t, v != 0)
#undef FILL
    }
}

static inline int isz_of(const mk_tensor *t) { return mk_dtypes[t->dtype].itemsize; }

static void contig_strides(int nd, const int64_t *shape, int64_t *st) {
    int64_t s = 1;
    for (int i = nd - 1; i >= 0; i--) { st[i] = s; s *= shape[i]; }
}

static int check_rank(mk_call *c, int nd) {
    if (nd > MK_MAXDIM) return mk_err(c, "tensors have at most %d dimensions, got %d", MK_MAXDIM, nd);
    return 0;
}

/* ---- reshape --------------------------------------------------------------
 * ints: the new shape (one entry may be -1: inferred).  Output: a view when the
 * input's strides allow (numpy's _attempt_nocopy_reshape), else a copy. */

static int nocopy_strides(const mk_tensor *x, int nnd, const int64_t *nshape, int64_t *nstr) {
    int64_t od[MK_MAXDIM], os[MK_MAXDIM];
    int ond = 0;
    for (int i = 0; i < x->ndim; i++)
        if (x->shape[i] != 1) { od[ond] = x->shape[i]; os[ond] = x->strides[i]; ond++; }
    int oi = 0, oj = 1, ni = 0, nj = 1;
    while (ni < nnd && oi < ond) {
        int64_t np = nshape[ni], op = od[oi];
        while (np != op) {
            if (np < op) np *= nshape[nj++];
            else op *= od[oj++];
        }
        for (int ok = oi; ok < oj - 1; ok++)
            if (os[ok] != od[ok + 1] * os[ok + 1]) return 0;
        nstr[nj - 1] = os[oj - 1];
        for (int nk = nj - 1; nk > ni; nk--) nstr[nk - 1] = nstr[nk] * nshape[nk];
        ni = nj++;
        oi = oj++;
    }
    int64_t last = ni >= 1 ? nstr[ni - 1] : 1;
    for (int nk = ni; nk < nnd; nk++) nstr[nk] = last;
    return 1;
}

static int infer_reshape(mk_call *c) {
    mk_tensor *x = c->in[0];
    int nd = c->a.ni;
    if (check_rank(c, nd) < 0) return -1;
    mk_meta *m = &c->meta[0];
    int neg = -1;
    int64_t known = 1, n = mk_numel(x);
    for (int i = 0; i < nd; i++) {
        int64_t v = c->a.i[i];
        if (v == -1) {
            if (neg >= 0) return mk_err(c, "only one input size may be -1, not both %d and %d", neg, i);
            neg = i;
        } else if (v < 0) {
            return mk_err(c, "size %d must be non-negative, not %lld", i, (long long)v);
        } else {
            if (v > 0 && known > INT64_MAX / v) return mk_err(c, "requested shape is too large");
            known *= v;
        }
        m->shape[i] = v;
    }
    char si[128], so[128];
    if (neg >= 0) {
        if (known == 0 || n % known != 0) {
            mk_shape_str(si, sizeof si, x->ndim, x->shape);
            mk_shape_str(so, sizeof so, nd, m->shape);
            return mk_err(c, "Input to reshape is a tensor with %lld values (shape %s), but the "
                          "requested shape %s cannot hold it", (long long)n, si, so);
        }
        m->shape[neg] = n / known;
    } else if (known != n) {
        mk_shape_str(si, sizeof si, x->ndim, x->shape);
        mk_shape_str(so, sizeof so, nd, m->shape);
        return mk_err(c, "Input to reshape is a tensor with %lld values (shape %s), but the "
                      "requested shape %s has %lld", (long long)n, si, so, (long long)known);
    }
    m->dtype = x->dtype;
    m->ndim = nd;
    m->view = 0;
    if (n == 0) {
        contig_strides(nd, m->shape, m->strides);
        m->view = 1;
    } else {
        m->view = nocopy_strides(x, nd, m->shape, m->strides);
    }
    if (x->flags & MK_T_VARIABLE) m->view = 0;
    m->view_of = 0;
    m->offset = x->offset;
    return 0;
}

static int k_reshape(mk_call *c) {
    mk_tensor *x = c->in[0], *o = c->out[0];
    if (o->storage == x->storage) return 0;          /* the view case */
    int64_t ds[MK_MAXDIM];
    contig_strides(x->ndim, x->shape, ds);            /* o is x's elements in C order */
    scopy(isz_of(x), x->ndim, x->shape, mk_data(o), ds, mk_data(x), x->strides);
    return 0;
}

/* ---- transpose: ints = perm (a permutation of 0..ndim-1); a view ------------ */

static int geom_transpose(mk_call *c) {
    mk_tensor *x = c->in[0];
    mk_meta *m = &c->meta[0];
    char sx[128];
#define SX mk_shape_str(sx, sizeof sx, x->ndim, x->shape)
    if (c->a.ni != x->ndim)
        return SX, mk_err(c, "transpose expects a vector of size %d (the rank of input shape %s), "
                      "but perm has %d entries", x->ndim, sx, c->a.ni);
    int seen[MK_MAXDIM] = {0};
    for (int i = 0; i < x->ndim; i++) {
        int64_t p = c->a.i[i];
        if (p < 0 || p >= x->ndim) return SX, mk_err(c, "perm[%d] = %lld is out of range [0, %d) for input shape %s",
                                                 i, (long long)p, x->ndim, sx);
        if (seen[p]) return SX, mk_err(c, "perm has %lld more than once (input shape %s): not a permutation",
                                   (long long)p, sx);
        seen[p] = 1;
        m->shape[i] = x->shape[p];
        m->strides[i] = x->strides[p];
    }
    m->dtype = x->dtype; m->ndim = x->ndim;
    m->view = 1; m->view_of = 0; m->offset = x->offset;
    return 0;
}

/* ---- broadcast_to: ints = target shape; a view with stride 0 on broadcast axes */

static int geom_broadcast_to(mk_call *c) {
    mk_tensor *x = c->in[0];
    mk_meta *m = &c->meta[0];
    int nd = c->a.ni;
    if (check_rank(c, nd) < 0) return -1;
    for (int i = 0; i < nd; i++) m->shape[i] = c->a.i[i];
    char sx[128], so[128];
#define SXO (mk_shape_str(sx, sizeof sx, x->ndim, x->shape), mk_shape_str(so, sizeof so, nd, m->shape))
    if (nd < x->ndim) return SXO, mk_err(c, "Unable to broadcast tensor of shape %s to tensor of shape %s", sx, so);
    int off = nd - x->ndim;
    for (int i = 0; i < nd; i++) {
        if (m->shape[i] < 0) return SXO, mk_err(c, "invalid target shape %s", so);
        if (i < off) { m->strides[i] = 0; continue; }
        int64_t d = x->shape[i - off];
        if (d == m->shape[i]) m->strides[i] = x->strides[i - off];
        else if (d == 1) m->strides[i] = 0;
        else return SXO, mk_err(c, "Unable to broadcast tensor of shape %s to tensor of shape %s", sx, so);
    }
    m->dtype = x->dtype; m->ndim = nd;
    m->view = 1; m->view_of = 0; m->offset = x->offset;
    return 0;
}

/* ---- strided_slice ----------------------------------------------------------
 * ints (Python normalises everything, as slice.indices() does):
 *   for each input dimension d: begin_d, end_d, stride_d   (3 * ndim ints)
 *   then new_axis_mask, shrink_mask                        (2 ints)
 * Per input dimension the selected indices are range(begin, end, stride), stride != 0;
 * when that range is not empty, every index in it must lie in [0, dim).
 * The output axes: walk entries k = 0, 1, ...: bit k of new_axis_mask makes entry k a
 * new axis of size 1; every other entry takes the next input dimension d, which is
 * dropped when bit d of shrink_mask is set (its range must then hold exactly one index).
 * A view (negative strides for negative steps). */

typedef struct {
    int64_t begin[MK_MAXDIM], len[MK_MAXDIM], step[MK_MAXDIM];
    int out_axis[MK_MAXDIM];     /* output axis of input dim d, -1 when shrunk */
    int nd_out;
    int64_t out_shape[MK_MAXDIM];
    int in_dim_of[MK_MAXDIM];    /* input dim of output axis k, -1 for a new axis */
} sgeom;

static int slice_geom(mk_call *c, const mk_tensor *x, sgeom *g) {
    int nd = x->ndim;
    char sx[128];
    if (c->a.ni != 3 * nd + 2)
        return SX, mk_err(c, "expects 3 * rank + 2 = %d int attributes for input shape %s, got %d",
                      3 * nd + 2, sx, c->a.ni);
    int64_t newm = c->a.i[3 * nd], shrink = c->a.i[3 * nd + 1];
    if (newm < 0 || shrink < 0 || shrink >= ((int64_t)1 << nd))
        return SX, mk_err(c, "bad new_axis / shrink masks %lld / %lld for input shape %s",
                      (long long)newm, (long long)shrink, sx);
    for (int d = 0; d < nd; d++) {
        int64_t b = c->a.i[3 * d], e = c->a.i[3 * d + 1], s = c->a.i[3 * d + 2], n = x->shape[d], len;
        if (s == 0) return SX, mk_err(c, "strides[%d] must be non-zero (input shape %s)", d, sx);
        if (s > 0) len = e > b ? (e - b - 1) / s + 1 : 0;
        else len = b > e ? (b - e - 1) / (-s) + 1 : 0;
        if (len > 0) {
            int64_t last = b + (len - 1) * s;
            if (b < 0 || b >= n || last < 0 || last >= n)
                return SX, mk_err(c, "slice %lld:%lld:%lld of dimension %d is out of bounds for input shape %s",
                              (long long)b, (long long)e, (long long)s, d, sx);
        }
        if ((shrink >> d) & 1 && len != 1)
            return SX, mk_err(c, "index %lld of dimension %d is out of bounds for input shape %s",
                          (long long)b, d, sx);
        g->begin[d] = b; g->len[d] = len; g->step[d] = s;
    }
    int nnew = __builtin_popcountll((unsigned long long)newm);
    int nent = nd + nnew;
    if (nent < 63 && (newm >> nent) != 0)
        return SX, mk_err(c, "bad new_axis mask %lld for input shape %s", (long long)newm, sx);
    int d = 0, k = 0;
    for (int e = 0; e < nent; e++) {
        if ((newm >> e) & 1) {
            if (k >= MK_MAXDIM) return mk_err(c, "result would have more than %d dimensions", MK_MAXDIM);
            g->in_dim_of[k] = -1; g->out_shape[k] = 1; k++;
        } else {
            if ((shrink >> d) & 1) g->out_axis[d] = -1;
            else {
                if (k >= MK_MAXDIM) return mk_err(c, "result would have more than %d dimensions", MK_MAXDIM);
                g->out_axis[d] = k; g->in_dim_of[k] = d; g->out_shape[k] = g->len[d]; k++;
            }
            d++;
        }
    }
    g->nd_out = k;
    return 0;
}

static int geom_strided_slice(mk_call *c) {
    mk_tensor *x = c->in[0];
    sgeom g;
    if (slice_geom(c, x, &g) < 0) return -1;
    mk_meta *m = &c->meta[0];
    int64_t off = x->offset, n = 1;
    for (int d = 0; d < x->ndim; d++) n *= g.len[d];
    if (n) for (int d = 0; d < x->ndim; d++) off += g.begin[d] * x->strides[d];
    for (int k = 0; k < g.nd_out; k++) {
        int d = g.in_dim_of[k];
        m->shape[k] = g.out_shape[k];
        m->strides[k] = d < 0 ? 0 : x->strides[d] * g.step[d];
    }
    m->dtype = x->dtype; m->ndim = g.nd_out;
    m->view = 1; m->view_of = 0; m->offset = off;
    return 0;
}

/* strided_slice_grad(x, dy): zeros shaped like x with dy written through the
 * slice that strided_slice(x) with the same ints reads (x gives shape and dtype only). */
static int infer_strided_slice_grad(mk_call *c) {
    mk_tensor *x = c->in[0], *dy = c->in[1];
    sgeom g;
    if (slice_geom(c, x, &g) < 0) return -1;
    int ok = dy->ndim == g.nd_out && dy->dtype == x->dtype;
    for (int k = 0; ok && k < g.nd_out; k++) ok = dy->shape[k] == g.out_shape[k];
    if (!ok) {
        char sx[128], sd[128], ss[128];
        mk_shape_str(sx, sizeof sx, x->ndim, x->shape);
        mk_shape_str(sd, sizeof sd, dy->ndim, dy->shape);
        mk_shape_str(ss, sizeof ss, g.nd_out, g.out_shape);
        return mk_err(c, "dy (%s %s) must be a %s tensor of the slice's shape %s (input shape %s)",
                      mk_dtypes[dy->dtype].name, sd, mk_dtypes[x->dtype].name, ss, sx);
    }
    mk_meta_set(&c->meta[0], x->dtype, x->ndim, x->shape);
    return 0;
}

static int k_strided_slice_grad(mk_call *c) {
    mk_tensor *x = c->in[0], *dy = c->in[1], *o = c->out[0];
    sgeom g;
    if (slice_geom(c, x, &g) < 0) return -1;
    int isz = isz_of(o);
    memset(mk_data(o), 0, (size_t)(mk_numel(o) * isz));
    int64_t os[MK_MAXDIM], ds[MK_MAXDIM], ss[MK_MAXDIM], n = 1, off = 0;
    contig_strides(o->ndim, o->shape, os);
    for (int d = 0; d < x->ndim; d++) {
        n *= g.len[d];
        off += g.begin[d] * os[d];
        ds[d] = os[d] * g.step[d];
        ss[d] = g.out_axis[d] < 0 ? 0 : dy->strides[g.out_axis[d]];
    }
    if (n == 0) return 0;
    scopy(isz, x->ndim, g.len, (char *)mk_data(o) + off * isz, ds, mk_data(dy), ss);
    return 0;
}

/* ---- concat: variadic, ints[0] = axis (negative counts from the end) ---------- */

static int infer_concat(mk_call *c) {
    if (c->a.ni < 1) return mk_err(c, "missing axis attribute");
    if (mk_same_dtype(c) < 0) return -1;
    mk_tensor *x0 = c->in[0];
    if (x0->ndim == 0) return mk_err(c, "Can't concatenate scalars (use tf.stack instead)");
    int ax;
    if (mk_norm_axis(c, c->a.i[0], x0->ndim, &ax) < 0) return -1;
    mk_meta *m = &c->meta[0];
    mk_meta_set(m, x0->dtype, x0->ndim, x0->shape);
    m->shape[ax] = 0;
    for (int k = 0; k < c->nin; k++) {
        mk_tensor *x = c->in[k];
        int ok = x->ndim == x0->ndim;
        for (int i = 0; ok && i < x0->ndim; i++) ok = i == ax || x->shape[i] == x0->shape[i];
        if (!ok) {
            char s0[128], sk[128];
            mk_shape_str(s0, sizeof s0, x0->ndim, x0->shape);
            mk_shape_str(sk, sizeof sk, x->ndim, x->shape);
            return mk_err(c, "Dimensions of inputs should match except on axis %d: shape[0] = %s "
                          "vs. shape[%d] = %s", ax, s0, k, sk);
        }
        m->shape[ax] += x->shape[ax];
    }
    return 0;
}

static int k_concat(mk_call *c) {
    mk_tensor *o = c->out[0];
    int ax = (int)(c->a.i[0] < 0 ? c->a.i[0] + o->ndim : c->a.i[0]);
    int isz = isz_of(o);
    int64_t os[MK_MAXDIM], start = 0;
    contig_strides(o->ndim, o->shape, os);
    for (int k = 0; k < c->nin; k++) {
        mk_tensor *x = c->in[k];
        scopy(isz, x->ndim, x->shape, (char *)mk_data(o) + start * os[ax] * isz, os, mk_data(x), x->strides);
        start += x->shape[ax];
    }
    return 0;
}

/* ---- split: MULTI_OUT views.  ints[0] = axis; then either nothing (equal parts,
 * one per output) or one size per output (one size may be -1: the rest). ------ */

static int geom_split(mk_call *c) {
    mk_tensor *x = c->in[0];
    char sx[128];
    if (c->a.ni < 1) return SX, mk_err(c, "missing axis attribute");
    if (x->ndim == 0) return SX, mk_err(c, "cannot split a scalar");
    int ax;
    if (mk_norm_axis(c, c->a.i[0], x->ndim, &ax) < 0) return -1;
    int n = c->nout;
    if (n < 1) return SX, mk_err(c, "number of splits must be at least 1, got %d", n);
    int64_t dim = x->shape[ax], start = 0;
    int64_t sizes_inline[MK_MAXATTR];
    if (c->a.ni == 1) {
        if (dim % n) return SX, mk_err(c, "Number of ways to split should evenly divide the split "
                                   "dimension, but got split_dim %d (size = %lld) and num_split %d "
                                   "(input shape %s)", ax, (long long)dim, n, sx);
    } else if (c->a.ni != n + 1) {
        return SX, mk_err(c, "%d sizes given for %d outputs", c->a.ni - 1, n);
    } else {
        int neg = -1;
        int64_t sum = 0;
        for (int k = 0; k < n; k++) {
            int64_t s = c->a.i[1 + k];
            if (s == -1) {
                if (neg >= 0) return SX, mk_err(c, "There can only be one -1 in the input sizes");
                neg = k;
            } else if (s < 0) return SX, mk_err(c, "split size %d is negative: %lld", k, (long long)s);
            else sum += s;
            sizes_inline[k] = s;
        }
        if (neg >= 0) {
            if (sum > dim) goto bad;
            sizes_inline[neg] = dim - sum;
        } else if (sum != dim) goto bad;
    }
    for (int k = 0; k < n; k++) {
        int64_t s = c->a.ni == 1 ? dim / n : sizes_inline[k];
        mk_meta *m = &c->meta[k];
        m->dtype = x->dtype; m->ndim = x->ndim;
        for (int i = 0; i < x->ndim; i++) { m->shape[i] = x->shape[i]; m->strides[i] = x->strides[i]; }
        m->shape[ax] = s;
        m->view = 1; m->view_of = 0;
        m->offset = x->offset + (s ? start * x->strides[ax] : 0);
        start += s;
    }
    return 0;
bad:
    return SX, mk_err(c, "Determined shape must either match input shape along split_dim exactly if "
                  "fully specified, or be less than the size of the input along split_dim if not "
                  "fully specified (input shape %s, axis %d)", sx, ax);
}

/* ---- pad: ints = [mode, before_0, after_0, before_1, after_1, ...];
 * mode 0 CONSTANT (value floats[0]), 1 REFLECT, 2 SYMMETRIC -------------------- */

static int infer_pad(mk_call *c) {
    mk_tensor *x = c->in[0];
    char sx[128];
    if (c->a.ni != 1 + 2 * x->ndim)
        return SX, mk_err(c, "paddings must be a matrix of shape [%d, 2] for input shape %s", x->ndim, sx);
    int64_t mode = c->a.i[0];
    if (mode < 0 || mode > 2) return SX, mk_err(c, "bad mode %lld", (long long)mode);
    mk_meta *m = &c->meta[0];
    mk_meta_set(m, x->dtype, x->ndim, x->shape);
    for (int d = 0; d < x->ndim; d++) {
        int64_t a = c->a.i[1 + 2 * d], b = c->a.i[2 + 2 * d], n = x->shape[d];
        if (a < 0 || b < 0)
            return SX, mk_err(c, "Paddings must be non-negative: %lld %lld (dimension %d, input shape %s)",
                          (long long)a, (long long)b, d, sx);
        if (mode == 1 && (a > n - 1 || b > n - 1) && (a || b))
            return SX, mk_err(c, "paddings must be less than the dimension size: %lld, %lld not less than "
                          "%lld (dimension %d, input shape %s)", (long long)a, (long long)b, (long long)n, d, sx);
        if (mode == 2 && (a > n || b > n))
            return SX, mk_err(c, "paddings must be no greater than the dimension size: %lld, %lld greater "
                          "than %lld (dimension %d, input shape %s)", (long long)a, (long long)b, (long long)n, d, sx);
        m->shape[d] = n + a + b;
    }
    return 0;
}

static int k_pad(mk_call *c) {
    mk_tensor *x = c->in[0], *o = c->out[0];
    int nd = x->ndim, isz = isz_of(o), mode = (int)c->a.i[0];
    char *base = mk_data(o);
    int64_t os[MK_MAXDIM] = {0}, off = 0;
    contig_strides(nd, o->shape, os);
    if (mode == 0) fill_value(base, o->dtype, mk_numel(o), c->a.f[0]);
    for (int d = 0; d < nd; d++) off += c->a.i[1 + 2 * d] * os[d];
    scopy(isz, nd, x->shape, base + off * isz, os, mk_data(x), x->strides);
    if (mode == 0 || mk_numel(x) == 0) return 0;
    /* mirror modes, one dimension at a time: along d, the pads copy (reversed) from the
     * interior; earlier dimensions are already complete, later ones interior only */
    for (int d = 0; d < nd; d++) {
        int64_t a = c->a.i[1 + 2 * d], b = c->a.i[2 + 2 * d], n = x->shape[d];
        int64_t sh[MK_MAXDIM], ss[MK_MAXDIM], boff = 0;
        for (int e = 0; e < nd; e++) {
            if (e < d) sh[e] = o->shape[e];
            else { sh[e] = x->shape[e]; if (e > d) boff += c->a.i[1 + 2 * e] * os[e]; }
            ss[e] = os[e];
        }
        ss[d] = -os[d];
        int sym = mode == 2;
        if (a) {        /* out j in [0, a) <- out (2a - j) reflect, (2a - 1 - j) symmetric */
            sh[d] = a;
            scopy(isz, nd, sh, base + boff * isz, os,
                  base + (boff + (2 * a - sym) * os[d]) * isz, ss);
        }
        if (b) {        /* out a+n+k <- out a+n-2-k reflect, a+n-1-k symmetric */
            sh[d] = b;
            scopy(isz, nd, sh, base + (boff + (a + n) * os[d]) * isz, os,
                  base + (boff + (a + n - 2 + sym) * os[d]) * isz, ss);
        }
    }
    return 0;
}

/* ---- tile: ints = multiples (one per dimension, >= 0) ----------------------- */

static int infer_tile(mk_call *c) {
    mk_tensor *x = c->in[0];
    char sx[128];
    if (c->a.ni != x->ndim)
        return SX, mk_err(c, "Expected multiples argument to be a vector of length %d (input shape %s) "
                      "but got length %d", x->ndim, sx, c->a.ni);
    mk_meta *m = &c->meta[0];
    mk_meta_set(m, x->dtype, x->ndim, x->shape);
    for (int d = 0; d < x->ndim; d++) {
        if (c->a.i[d] < 0) return SX, mk_err(c, "Expected multiples[%d] >= 0, but got %lld (input shape %s)",
                                         d, (long long)c->a.i[d], sx);
        m->shape[d] = x->shape[d] * c->a.i[d];
    }
    return 0;
}

static int k_tile(mk_call *c) {
    mk_tensor *x = c->in[0], *o = c->out[0];
    int nd = x->ndim;
    int64_t os[MK_MAXDIM], sh[SC_MAXD], ds[SC_MAXD], ss[SC_MAXD];
    contig_strides(nd, o->shape, os);
    for (int d = 0; d < nd; d++) {
        sh[2 * d] = c->a.i[d];       ds[2 * d] = x->shape[d] * os[d]; ss[2 * d] = 0;
        sh[2 * d + 1] = x->shape[d]; ds[2 * d + 1] = os[d];           ss[2 * d + 1] = x->strides[d];
    }
    scopy(isz_of(x), 2 * nd, sh, mk_data(o), ds, mk_data(x), ss);
    return 0;
}

/* ---- reverse: ints = axes to reverse (negative allowed, each at most once) ---- */

static int reverse_axes(mk_call *c, int nd, int *rev) {
    for (int d = 0; d < MK_MAXDIM; d++) rev[d] = 0;
    for (int k = 0; k < c->a.ni; k++) {
        int ax;
        if (mk_norm_axis(c, c->a.i[k], nd, &ax) < 0) return -1;
        if (nd == 0) return mk_err(c, "cannot reverse a scalar along axis %lld", (long long)c->a.i[k]);
        if (rev[ax]) return mk_err(c, "axis %d specified more than once", ax);
        rev[ax] = 1;
    }
    return 0;
}

static int infer_reverse(mk_call *c) {
    mk_tensor *x = c->in[0];
    int rev[MK_MAXDIM];
    if (reverse_axes(c, x->ndim, rev) < 0) return -1;
    mk_meta_set(&c->meta[0], x->dtype, x->ndim, x->shape);
    return 0;
}

static int k_reverse(mk_call *c) {
    mk_tensor *x = c->in[0], *o = c->out[0];
    int rev[MK_MAXDIM], isz = isz_of(x);
    if (reverse_axes(c, x->ndim, rev) < 0) return -1;
    if (mk_numel(x) == 0) return 0;
    int64_t ss[MK_MAXDIM], os[MK_MAXDIM], off = 0;
    contig_strides(x->ndim, x->shape, os);
    for (int d = 0; d < x->ndim; d++) {
        ss[d] = rev[d] ? -x->strides[d] : x->strides[d];
        if (rev[d]) off += (x->shape[d] - 1) * x->strides[d];
    }
    scopy(isz, x->ndim, x->shape, mk_data(o), os, (const char *)mk_data(x) + off * isz, ss);
    return 0;
}

/* ---- views: infer = geometry + the copy policy; kernel = copy unless aliased ---- */

static int view_copy(mk_call *c, mk_infer_fn geom) {
    mk_tensor *x = c->in[0];
    int k;
    for (k = 0; k < c->nout; k++)
        if (c->out[k]->storage != x->storage) break;
    if (k == c->nout) return 0;                       /* all views: nothing to do */
    mk_call t = *c;
    mk_meta inl[MK_INLINE_ARGS];
    t.meta = c->nout <= MK_INLINE_ARGS ? inl : malloc(sizeof(mk_meta) * c->nout);
    if (!t.meta) return mk_err(c, "out of memory");
    int rc = geom(&t);
    if (rc == 0) {
        int isz = isz_of(x);
        const char *base = (const char *)x->storage->data;
        for (k = 0; k < c->nout; k++) {
            mk_tensor *o = c->out[k];
            if (o->storage == x->storage || mk_numel(o) == 0) continue;
            int64_t os[MK_MAXDIM];
            contig_strides(o->ndim, o->shape, os);
            scopy(isz, o->ndim, o->shape, mk_data(o), os, base + t.meta[k].offset * isz, t.meta[k].strides);
        }
    } else memcpy(c->err, t.err, MK_ERRLEN);
    if (t.meta != inl) free(t.meta);
    return rc;
}

#define VIEW_OP(NM)                                                                     \
    static int infer_##NM(mk_call *c) {                                                 \
        if (geom_##NM(c) < 0) return -1;                                                \
        if (c->in[0]->flags & MK_T_VARIABLE)                                            \
            for (int k = 0; k < c->nout; k++) c->meta[k].view = 0;                      \
        return 0;                                                                       \
    }                                                                                   \
    static int k_##NM(mk_call *c) { return view_copy(c, geom_##NM); }
VIEW_OP(transpose)
VIEW_OP(broadcast_to)
VIEW_OP(strided_slice)
VIEW_OP(split)

/* ---- registration ---------------------------------------------------------- */

void mk_register_shape(void) {
    const unsigned F = MK_OP_F16_NATIVE;
    mk_ops[MK_OP_RESHAPE] = (mk_opdef){NULL, 1, 1, F, infer_reshape, {k_reshape}};
    mk_ops[MK_OP_TRANSPOSE] = (mk_opdef){NULL, 1, 1, F, infer_transpose, {k_transpose}};
    mk_ops[MK_OP_BROADCAST_TO] = (mk_opdef){NULL, 1, 1, F, infer_broadcast_to, {k_broadcast_to}};
    mk_ops[MK_OP_STRIDED_SLICE] = (mk_opdef){NULL, 1, 1, F, infer_strided_slice, {k_strided_slice}};
    mk_ops[MK_OP_STRIDED_SLICE_GRAD] = (mk_opdef){NULL, 2, 1, F, infer_strided_slice_grad, {k_strided_slice_grad}};
    mk_ops[MK_OP_CONCAT] = (mk_opdef){NULL, 1, 1, F | MK_OP_VARIADIC, infer_concat, {k_concat}};
    mk_ops[MK_OP_SPLIT] = (mk_opdef){NULL, 1, 1, F | MK_OP_MULTI_OUT, infer_split, {k_split}};
    mk_ops[MK_OP_PAD] = (mk_opdef){NULL, 1, 1, F, infer_pad, {k_pad}};
    mk_ops[MK_OP_TILE] = (mk_opdef){NULL, 1, 1, F, infer_tile, {k_tile}};
    mk_ops[MK_OP_REVERSE] = (mk_opdef){NULL, 1, 1, F, infer_reverse, {k_reverse}};
}
