/* Optim family: in-place updates of variable storage.  assign(var, value)
 * writes value into var's buffer (so graphs that captured the buffer see it);
 * assign_add / assign_sub accumulate.  No outputs: these are effects. */
#include "loops.h"

static int infer_assign(mk_call *c) {
    mk_tensor *v = c->in[0], *x = c->in[1];
    if (!(v->flags & MK_T_VARIABLE))
        return mk_err(c, "the first argument must be a variable's buffer");
    if (v->dtype != x->dtype)
        return mk_err(c, "variable has dtype %s but the value has dtype %s",
                      mk_dtypes[v->dtype].name, mk_dtypes[x->dtype].name);
    if (v->ndim != x->ndim || memcmp(v->shape, x->shape, sizeof(int64_t) * v->ndim) != 0) {
        char sv[128], sx[128];
        mk_shape_str(sv, sizeof sv, v->ndim, v->shape);
        mk_shape_str(sx, sizeof sx, x->ndim, x->shape);
        return mk_err(c, "Cannot assign a value of shape %s to a variable of shape %s", sx, sv);
    }
    if (!mk_is_contiguous(v)) return mk_err(c, "variable buffer is not contiguous");
    return 0;
}

static int k_assign(mk_call *c) {
    mk_tensor *v = c->in[0], *x = c->in[1];
    int isz = mk_dtypes[v->dtype].itemsize;
    if (mk_is_contiguous(x)) {
        memmove(mk_data(v), mk_data(x), mk_numel(v) * isz);
        return 0;
    }
    int64_t st[3][MK_MAXDIM];
    mk_contiguous_strides(v->ndim, v->shape, st[0]);
    memcpy(st[1], x->strides, sizeof(int64_t) * x->ndim);
    mk_loop L;
    mk_loop_init(&L, v->ndim, v->shape, 2, st);
    int64_t rows = mk_loop_rows(&L), n = L.shape[L.ndim - 1], sx = L.st[1][L.ndim - 1];
    char *o = mk_data(v);
    const char *a = mk_data(x);
    for (int64_t r = 0; r < rows; r++) {
        int64_t off[3];
        mk_loop_row(&L, r, off);
        for (int64_t i = 0; i < n; i++)
            memcpy(o + (off[0] + i) * isz, a + (off[1] + i * sx) * isz, isz);
    }
    return 0;
}

#define ACC_LOOP(T, OPER)                                                               \
    {                                                                                   \
        T *o = mk_data(v);                                                              \
        int64_t st[3][MK_MAXDIM];                                                       \
        mk_contiguous_strides(v->ndim, v->shape, st[0]);                                \
        memcpy(st[1], x->strides, sizeof(int64_t) * x->ndim);                           \
        mk_loop L;                                                                      \
        mk_loop_init(&L, v->ndim, v->shape, 2, st);                                     \
        int64_t rows = mk_loop_rows(&L), n = L.shape[L.ndim - 1], sx = L.st[1][L.ndim - 1]; \
        const T *a = mk_data(x);                                                        \
        _Pragma("omp parallel for if (rows * n >= MK_PAR_MIN)")                         \
        for (int64_t r = 0; r < rows; r++) {                                            \
            int64_t off[3];                                                             \
            mk_loop_row(&L, r, off);                                                    \
            for (int64_t i = 0; i < n; i++) o[off[0] + i] OPER a[off[1] + i * sx];      \
        }                                                                               \
    }

static int k_accumulate(mk_call *c, int sub) {
    mk_tensor *v = c->in[0], *x = c->in[1];
    switch (v->dtype) {
    case MK_F32: if (sub) ACC_LOOP(float, -=) else ACC_LOOP(float, +=) break;
    case MK_F64: if (sub) ACC_LOOP(double, -=) else ACC_LOOP(double, +=) break;
    case MK_F16: if (sub) ACC_LOOP(_Float16, -=) else ACC_LOOP(_Float16, +=) break;
    case MK_I32: if (sub) ACC_LOOP(int32_t, -=) else ACC_LOOP(int32_t, +=) break;
    case MK_I64: if (sub) ACC_LOOP(int64_t, -=) else ACC_LOOP(int64_t, +=) break;
    case MK_U8: if (sub) ACC_LOOP(uint8_t, -=) else ACC_LOOP(uint8_t, +=) break;
    default: return mk_err(c, "cannot accumulate into a %s variable", mk_dtypes[v->dtype].name);
    }
    return 0;
}
static int k_assign_add(mk_call *c) { return k_accumulate(c, 0); }
static int k_assign_sub(mk_call *c) { return k_accumulate(c, 1); }

void mk_register_optim(void) {
    unsigned fl = MK_OP_NONDIFF | MK_OP_STATEFUL | MK_OP_F16_NATIVE | MK_OP_ELEMENTWISE;
    mk_ops[MK_OP_ASSIGN] = (mk_opdef){NULL, 2, 0, fl, infer_assign, {k_assign}};
    mk_ops[MK_OP_ASSIGN_ADD] = (mk_opdef){NULL, 2, 0, fl, infer_assign, {k_assign_add}};
    mk_ops[MK_OP_ASSIGN_SUB] = (mk_opdef){NULL, 2, 0, fl, infer_assign, {k_assign_sub}};
}
