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

/* ==== fused optimizer updates ================================================
 * Every update op writes in place into variable buffers and has no outputs.
 * Inputs:  var, slot_0 .. slot_{k-1}, grad, then scalar tensors (lr, iteration, ...).
 * var and the slots are contiguous variable buffers of one float dtype and one shape;
 * grad has that dtype and shape and may be strided.  Scalars (one element each, any
 * numeric dtype) are READ BY THE KERNEL, so a traced graph replayed later sees the
 * current learning rate / iteration count; constant hyper-parameters are float attrs.
 * `iter` is the optimizer's iteration count BEFORE this step (t = iter + 1).
 * float16 variables are computed in float32 (the ops are F16_NATIVE).
 *
 *  sgd_update(var, grad, lr)                          var -= lr*g
 *  sgd_update(var, accum, grad, lr)  f[0]=momentum i[0]=nesterov   (tf ApplyKerasMomentum)
 *      accum = accum*momentum - g*lr; var += nesterov ? accum*momentum - g*lr : accum
 *  adam_update(var, m, v, [vhat,] grad, lr, iter)  f = beta1, beta2, epsilon, weight_decay
 *      (tf ApplyAdam / ApplyAdamWithAmsgrad; vhat present = amsgrad; weight_decay > 0:
 *      decoupled decay first, var -= var*wd*lr, as Keras 3 AdamW)
 *  rmsprop_update(var, rms, [mom,] [mg,] grad, lr)  f = rho, momentum, epsilon;
 *      i[0] = has momentum slot, i[1] = centered (mg slot)   (tf.keras 2.5 RMSprop)
 *  adagrad_update(var, accum, grad, lr)           f[0] = epsilon   (tf ApplyAdagradV2)
 *  adadelta_update(var, accum_grad, accum_var, grad, lr)  f = rho, epsilon
 *  adamax_update(var, m, v, grad, lr, iter)       f = beta1, beta2, epsilon
 *  nadam_cache_update(m_cache, iter)              f = beta1, schedule decay
 *      m_cache *= beta1*(1 - 0.5*0.96^(decay*t))   (run once per step before nadam_update)
 *  nadam_update(var, m, v, grad, lr, iter, m_cache)  f = beta1, beta2, epsilon, decay
 *  adabound_update(var, m, v, [vhat,] grad, lr, iter)  f = beta1, beta2, epsilon, gamma;
 *      i[0], i[1]: the bits of two doubles (memcpy): final_lr / base_lr, weight_decay
 *      (keras-adabound; vhat present = amsbound) */
#include <math.h>

#define UPD_CHUNK 8192

static inline double scal(const mk_tensor *t) {
    const char *p = mk_data(t);
    switch (t->dtype) {
    case MK_F32: return *(const float *)p;
    case MK_F64: return *(const double *)p;
    case MK_F16: return (double)*(const _Float16 *)p;
    case MK_I32: return *(const int32_t *)p;
    case MK_I64: return (double)*(const int64_t *)p;
    case MK_U8: return *(const uint8_t *)p;
    default: return 0;
    }
}

static inline double attr_bits(const mk_call *c, int k) {
    double d;
    int64_t b = c->a.i[k];
    memcpy(&d, &b, sizeof d);
    return d;
}

/* validate var, nslots slots, grad and nscal scalars (exactly that many inputs) */
static int check_update(mk_call *c, int nslots, int nscal) {
    int want = 2 + nslots + nscal;
    if (c->nin != want)
        return mk_err(c, "expected %d inputs (var, %d slot(s), grad, %d scalar(s)), got %d",
                      want, nslots, nscal, c->nin);
    mk_tensor *v = c->in[0];
    if (v->dtype != MK_F32 && v->dtype != MK_F64 && v->dtype != MK_F16)
        return mk_err(c, "variables of dtype %s are not supported (float16, float32, float64)",
                      mk_dtypes[v->dtype].name);
    char sv[128], sx[128];
    for (int k = 0; k <= nslots + 1; k++) {
        mk_tensor *x = c->in[k];
        int is_grad = k == nslots + 1;
        const char *what = k == 0 ? "variable" : is_grad ? "gradient" : "slot";
        if (!is_grad) {
            if (!(x->flags & MK_T_VARIABLE))
                return mk_err(c, "the %s (input %d) must be a variable's buffer", what, k);
            if (!mk_is_contiguous(x))
                return mk_err(c, "the %s (input %d) is not contiguous", what, k);
        }
        if (x->dtype != v->dtype)
            return mk_err(c, "the variable has dtype %s but the %s (input %d) has dtype %s",
                          mk_dtypes[v->dtype].name, what, k, mk_dtypes[x->dtype].name);
        if (x->ndim != v->ndim || memcmp(x->shape, v->shape, sizeof(int64_t) * v->ndim) != 0) {
            mk_shape_str(sv, sizeof sv, v->ndim, v->shape);
            mk_shape_str(sx, sizeof sx, x->ndim, x->shape);
            return mk_err(c, "the variable has shape %s but the %s (input %d) has shape %s",
                          sv, what, k, sx);
        }
    }
    for (int k = nslots + 2; k < c->nin; k++) {
        mk_tensor *x = c->in[k];
        if (mk_numel(x) != 1 || x->dtype == MK_BOOL) {
            mk_shape_str(sx, sizeof sx, x->ndim, x->shape);
            return mk_err(c, "input %d must be a numeric scalar, got a %s tensor of shape %s", k,
                          mk_dtypes[x->dtype].name, sx);
        }
    }
    return 0;
}

/* Loop over the elements of var (row-major) with grad read through its strides.
 * In BODY: w[i] the variable, s0[i], s1[i], s2[i] the slots, g (CT) the gradient. */
#define UPD_LOOP(T, CT, NSLOTS, ...)                                                    \
    do {                                                                                \
        mk_tensor *V_ = c->in[0], *G_ = c->in[(NSLOTS) + 1];                            \
        int64_t total_ = mk_numel(V_);                                                  \
        if (total_ == 0) break;                                                         \
        int64_t st_[3][MK_MAXDIM];                                                      \
        mk_contiguous_strides(V_->ndim, V_->shape, st_[0]);                             \
        memcpy(st_[1], G_->strides, sizeof(int64_t) * G_->ndim);                        \
        mk_loop L_;                                                                     \
        mk_loop_init(&L_, V_->ndim, V_->shape, 2, st_);                                 \
        int64_t rows_ = mk_loop_rows(&L_), n_ = L_.shape[L_.ndim - 1];                  \
        int64_t sg_ = L_.st[1][L_.ndim - 1];                                            \
        int64_t nch_ = (n_ + UPD_CHUNK - 1) / UPD_CHUNK, tasks_ = rows_ * nch_;         \
        T *W_ = mk_data(V_);                                                            \
        T *S0_ = (NSLOTS) > 0 ? (T *)mk_data(c->in[1]) : NULL;                          \
        T *S1_ = (NSLOTS) > 1 ? (T *)mk_data(c->in[2]) : NULL;                          \
        T *S2_ = (NSLOTS) > 2 ? (T *)mk_data(c->in[3]) : NULL;                          \
        const T *GP_ = mk_data(G_);                                                     \
        RUN_TASKS(total_, tasks_, {                                                     \
            int64_t r_ = t / nch_, i0_ = (t % nch_) * UPD_CHUNK, i1_ = i0_ + UPD_CHUNK; \
            if (i1_ > n_) i1_ = n_;                                                     \
            int64_t off_[3];                                                            \
            mk_loop_row(&L_, r_, off_);                                                 \
            T *w = W_ + off_[0];                                                        \
            T *s0 = S0_ ? S0_ + off_[0] : NULL;                                         \
            T *s1 = S1_ ? S1_ + off_[0] : NULL;                                         \
            T *s2 = S2_ ? S2_ + off_[0] : NULL;                                         \
            const T *gp = GP_ + off_[1];                                                \
            (void)s0; (void)s1; (void)s2;                                               \
            if (sg_ == 1) {                                                             \
                for (int64_t i = i0_; i < i1_; i++) { CT g = (CT)gp[i]; __VA_ARGS__ }   \
            } else {                                                                    \
                for (int64_t i = i0_; i < i1_; i++) { CT g = (CT)gp[i * sg_]; __VA_ARGS__ } \
            }                                                                           \
        })                                                                              \
    } while (0)

#define RUN_TASKS(total, tasks, ...)                                                    \
    if ((total) >= MK_PAR_MIN && (tasks) > 1) {                                         \
        _Pragma("omp parallel for schedule(static)")                                    \
        for (int64_t t = 0; t < (tasks); t++) __VA_ARGS__                               \
    } else {                                                                            \
        for (int64_t t = 0; t < (tasks); t++) __VA_ARGS__                               \
    }

/* instantiate KFN(T, CT) for each variable dtype */
#define UPD_DISPATCH(KFN)                                                               \
    switch (c->in[0]->dtype) {                                                          \
    case MK_F32: KFN(float, float); break;                                              \
    case MK_F64: KFN(double, double); break;                                            \
    case MK_F16: KFN(_Float16, float); break;                                           \
    default: return mk_err(c, "unsupported dtype %s", mk_dtypes[c->in[0]->dtype].name); \
    }                                                                                   \
    return 0;

static inline float sqrt_ct_f(float x) { return sqrtf(x); }
static inline double sqrt_ct_d(double x) { return sqrt(x); }
#define SQRT(x) _Generic((x), float: sqrt_ct_f, double: sqrt_ct_d)(x)
#define MAXV(a, b) ((a) > (b) ? (a) : (b))
#define MINV(a, b) ((a) < (b) ? (a) : (b))

/* ---- SGD ------------------------------------------------------------------ */
static int infer_sgd(mk_call *c) { return check_update(c, c->nin - 3, 1); }

static int k_sgd(mk_call *c) {
    int ns = c->nin - 3;
    double lr = scal(c->in[ns + 2]), mom = c->a.f[0];
    int nesterov = (int)c->a.i[0];
#define K_SGD(T, CT)                                                                   \
    {                                                                                  \
        CT lr_ = (CT)lr, mo_ = (CT)mom;                                                \
        if (ns == 0) UPD_LOOP(T, CT, 0, { w[i] = (T)((CT)w[i] - lr_ * g); });           \
        else if (nesterov) UPD_LOOP(T, CT, 1, {                                        \
            CT a = (CT)s0[i] * mo_ - g * lr_;                                          \
            s0[i] = (T)a;                                                              \
            w[i] = (T)((CT)w[i] + (a * mo_ - g * lr_));                                \
        });                                                                            \
        else UPD_LOOP(T, CT, 1, {                                                      \
            CT a = (CT)s0[i] * mo_ - g * lr_;                                          \
            s0[i] = (T)a;                                                              \
            w[i] = (T)((CT)w[i] + a);                                                  \
        });                                                                            \
    }
    UPD_DISPATCH(K_SGD)
}

/* ---- Adam / AdamW ------------------------------------------------------------ */
static int infer_adam(mk_call *c) {
    if (c->nin != 6 && c->nin != 7) return mk_err(c, "expected 6 or 7 inputs, got %d", c->nin);
    return check_update(c, c->nin - 4, 2);
}

static int k_adam(mk_call *c) {
    int ns = c->nin - 4;
    double lr = scal(c->in[ns + 2]), t = scal(c->in[ns + 3]) + 1;
    double b1 = c->a.f[0], b2 = c->a.f[1], eps = c->a.f[2], wd = c->a.f[3];
    double alpha = lr * sqrt(1 - pow(b2, t)) / (1 - pow(b1, t));
#define K_ADAM(T, CT)                                                                  \
    {                                                                                  \
        CT al = (CT)alpha, e = (CT)eps, c1 = (CT)(1 - b1), c2 = (CT)(1 - b2);           \
        CT dk = (CT)(wd * lr);                                                         \
        int decay = wd != 0;                                                           \
        if (ns == 2) UPD_LOOP(T, CT, 2, {                                              \
            CT x = (CT)w[i];                                                           \
            if (decay) x -= x * dk;                                                    \
            CT m = (CT)s0[i], v = (CT)s1[i];                                           \
            m += (g - m) * c1;                                                         \
            v += (g * g - v) * c2;                                                     \
            s0[i] = (T)m; s1[i] = (T)v;                                                \
            w[i] = (T)(x - (m * al) / (SQRT(v) + e));                                  \
        });                                                                            \
        else UPD_LOOP(T, CT, 3, {                                                      \
            CT x = (CT)w[i];                                                           \
            if (decay) x -= x * dk;                                                    \
            CT m = (CT)s0[i], v = (CT)s1[i], vh = (CT)s2[i];                           \
            m += (g - m) * c1;                                                         \
            v += (g * g - v) * c2;                                                     \
            vh = MAXV(vh, v);                                                          \
            s0[i] = (T)m; s1[i] = (T)v; s2[i] = (T)vh;                                 \
            w[i] = (T)(x - (m * al) / (SQRT(vh) + e));                                 \
        });                                                                            \
    }
    UPD_DISPATCH(K_ADAM)
}

/* ---- RMSprop ------------------------------------------------------------------ */
static int infer_rmsprop(mk_call *c) {
    int ns = 1 + (c->a.i[0] != 0) + (c->a.i[1] != 0);
    return check_update(c, ns, 1);
}

static int k_rmsprop(mk_call *c) {
    int hm = c->a.i[0] != 0, ce = c->a.i[1] != 0, ns = 1 + hm + ce;
    double lr = scal(c->in[ns + 2]);
    double rho = c->a.f[0], momentum = c->a.f[1], eps = c->a.f[2];
#define K_RMS(T, CT)                                                                   \
    {                                                                                  \
        CT l = (CT)lr, r = (CT)rho, r1 = (CT)(1 - rho), mo = (CT)momentum, e = (CT)eps; \
        if (!hm && !ce) UPD_LOOP(T, CT, 1, {                                           \
            CT ms = r * (CT)s0[i] + r1 * (g * g);                                      \
            s0[i] = (T)ms;                                                             \
            w[i] = (T)((CT)w[i] - l * g / (SQRT(ms) + e));                             \
        });                                                                            \
        else if (!hm && ce) UPD_LOOP(T, CT, 2, {                                       \
            CT ms = r * (CT)s0[i] + r1 * (g * g);                                      \
            CT mg = r * (CT)s1[i] + r1 * g;                                            \
            s0[i] = (T)ms; s1[i] = (T)mg;                                              \
            w[i] = (T)((CT)w[i] - l * g / (SQRT(ms - mg * mg) + e));                   \
        });                                                                            \
        else if (hm && !ce) UPD_LOOP(T, CT, 2, {                                       \
            CT ms = (CT)s0[i];                                                         \
            ms += (g * g - ms) * r1;                                                   \
            CT mom = (CT)s1[i] * mo + (g * l) / SQRT(ms + e);                          \
            s0[i] = (T)ms; s1[i] = (T)mom;                                             \
            w[i] = (T)((CT)w[i] - mom);                                                \
        });                                                                            \
        else UPD_LOOP(T, CT, 3, {                                                      \
            CT ms = (CT)s0[i], mg = (CT)s2[i];                                         \
            ms += (g * g - ms) * r1;                                                   \
            mg += (g - mg) * r1;                                                       \
            CT mom = (CT)s1[i] * mo + (g * l) / SQRT((ms - mg * mg) + e);              \
            s0[i] = (T)ms; s1[i] = (T)mom; s2[i] = (T)mg;                              \
            w[i] = (T)((CT)w[i] - mom);                                                \
        });                                                                            \
    }
    UPD_DISPATCH(K_RMS)
}

/* ---- Adagrad ------------------------------------------------------------------ */
static int infer_adagrad(mk_call *c) { return check_update(c, 1, 1); }

static int k_adagrad(mk_call *c) {
    double lr = scal(c->in[3]), eps = c->a.f[0];
#define K_ADAGRAD(T, CT)                                                               \
    {                                                                                  \
        CT l = (CT)lr, e = (CT)eps;                                                    \
        UPD_LOOP(T, CT, 1, {                                                           \
            CT a = (CT)s0[i] + g * g;                                                  \
            s0[i] = (T)a;                                                              \
            w[i] = (T)((CT)w[i] - g * l / (SQRT(a) + e));                              \
        });                                                                            \
    }
    UPD_DISPATCH(K_ADAGRAD)
}

/* ---- Adadelta ----------------------------------------------------------------- */
static int infer_adadelta(mk_call *c) { return check_update(c, 2, 1); }

static int k_adadelta(mk_call *c) {
    double lr = scal(c->in[4]), rho = c->a.f[0], eps = c->a.f[1];
#define K_ADADELTA(T, CT)                                                              \
    {                                                                                  \
        CT l = (CT)lr, r = (CT)rho, r1 = (CT)(1 - rho), e = (CT)eps;                   \
        UPD_LOOP(T, CT, 2, {                                                           \
            CT a = (CT)s0[i] * r + g * g * r1;                                         \
            CT u = SQRT((CT)s1[i] + e) / SQRT(a + e) * g;                              \
            s0[i] = (T)a;                                                              \
            w[i] = (T)((CT)w[i] - u * l);                                              \
            s1[i] = (T)((CT)s1[i] * r + u * u * r1);                                   \
        });                                                                            \
    }
    UPD_DISPATCH(K_ADADELTA)
}

/* ---- Adamax -------------------------------------------------------------------- */
static int infer_adamax(mk_call *c) { return check_update(c, 2, 2); }

static int k_adamax(mk_call *c) {
    double lr = scal(c->in[4]), t = scal(c->in[5]) + 1;
    double b1 = c->a.f[0], b2 = c->a.f[1], eps = c->a.f[2];
    double step = lr / (1 - pow(b1, t));
#define K_ADAMAX(T, CT)                                                                \
    {                                                                                  \
        CT st = (CT)step, c1 = (CT)(1 - b1), bb = (CT)b2, e = (CT)eps;                 \
        UPD_LOOP(T, CT, 2, {                                                           \
            CT m = (CT)s0[i];                                                          \
            m += (g - m) * c1;                                                         \
            CT bv = bb * (CT)s1[i], ag = g < 0 ? -g : g;                               \
            CT v = MAXV(bv, ag);                                                       \
            s0[i] = (T)m; s1[i] = (T)v;                                                \
            w[i] = (T)((CT)w[i] - st * (m / (v + e)));                                 \
        });                                                                            \
    }
    UPD_DISPATCH(K_ADAMAX)
}

/* ---- Nadam ---------------------------------------------------------------------- */
static int infer_nadam_cache(mk_call *c) {
    mk_tensor *m = c->in[0];
    if (!(m->flags & MK_T_VARIABLE) || mk_numel(m) != 1 || !mk_dtypes[m->dtype].is_float)
        return mk_err(c, "the momentum cache must be a float scalar variable buffer");
    if (mk_numel(c->in[1]) != 1 || c->in[1]->dtype == MK_BOOL)
        return mk_err(c, "the iteration count must be a numeric scalar");
    return 0;
}

static int k_nadam_cache(mk_call *c) {
    double t = scal(c->in[1]) + 1, b1 = c->a.f[0], decay = c->a.f[1];
    double mu = b1 * (1 - 0.5 * pow(0.96, decay * t));
    void *p = mk_data(c->in[0]);
    switch (c->in[0]->dtype) {
    case MK_F32: *(float *)p = (float)(*(float *)p * (float)mu); break;
    case MK_F64: *(double *)p *= mu; break;
    case MK_F16: *(_Float16 *)p = (_Float16)((float)*(_Float16 *)p * (float)mu); break;
    default: return mk_err(c, "unsupported dtype");
    }
    return 0;
}

static int infer_nadam(mk_call *c) { return check_update(c, 2, 3); }

static int k_nadam(mk_call *c) {
    double lr = scal(c->in[4]), it = scal(c->in[5]), ms_new = scal(c->in[6]);
    double b1 = c->a.f[0], b2 = c->a.f[1], eps = c->a.f[2], decay = c->a.f[3];
    double t = it + 1, tn = it + 2;
    double mu_t = b1 * (1 - 0.5 * pow(0.96, decay * t));
    double mu_t1 = b1 * (1 - 0.5 * pow(0.96, decay * tn));
    double ms_next = ms_new * mu_t1;
    double vden = 1 - pow(b2, t);
#define K_NADAM(T, CT)                                                                 \
    {                                                                                  \
        CT l = (CT)lr, bb1 = (CT)b1, bb2 = (CT)b2, c1 = (CT)(1 - b1), c2 = (CT)(1 - b2); \
        CT omn = (CT)(1 - ms_new), omx = (CT)(1 - ms_next), omm = (CT)(1 - mu_t);       \
        CT m1 = (CT)mu_t1, vd = (CT)vden, e = (CT)eps;                                 \
        UPD_LOOP(T, CT, 2, {                                                           \
            CT gp_ = g / omn;                                                          \
            CT m = bb1 * (CT)s0[i] + c1 * g;                                           \
            CT v = bb2 * (CT)s1[i] + c2 * (g * g);                                     \
            s0[i] = (T)m; s1[i] = (T)v;                                                \
            CT mbar = omm * gp_ + m1 * (m / omx);                                      \
            w[i] = (T)((CT)w[i] - l * mbar / (SQRT(v / vd) + e));                      \
        });                                                                            \
    }
    UPD_DISPATCH(K_NADAM)
}

/* ---- AdaBound -------------------------------------------------------------------- */
static int infer_adabound(mk_call *c) {
    if (c->nin != 6 && c->nin != 7) return mk_err(c, "expected 6 or 7 inputs, got %d", c->nin);
    return check_update(c, c->nin - 4, 2);
}

static int k_adabound(mk_call *c) {
    int ns = c->nin - 4;
    double lr = scal(c->in[ns + 2]), t = scal(c->in[ns + 3]) + 1;
    double b1 = c->a.f[0], b2 = c->a.f[1], eps = c->a.f[2], gamma = c->a.f[3];
    double ratio = attr_bits(c, 0), wd = attr_bits(c, 1);
    double lr_t = lr * sqrt(1 - pow(b2, t)) / (1 - pow(b1, t));
    double fin = ratio * lr;
    double lower = fin * (1 - 1 / (gamma * t + 1)), upper = fin * (1 + 1 / (gamma * t));
#define K_ADABOUND(T, CT)                                                              \
    {                                                                                  \
        CT lt = (CT)lr_t, bb1 = (CT)b1, bb2 = (CT)b2, c1 = (CT)(1 - b1), c2 = (CT)(1 - b2); \
        CT e = (CT)eps, lo = (CT)lower, hi = (CT)upper, dk = (CT)wd;                   \
        int decay = wd != 0;                                                           \
        if (ns == 2) UPD_LOOP(T, CT, 2, {                                              \
            CT x = (CT)w[i];                                                           \
            CT gg = decay ? g + dk * x : g;                                            \
            CT m = bb1 * (CT)s0[i] + c1 * gg;                                          \
            CT v = bb2 * (CT)s1[i] + c2 * (gg * gg);                                   \
            s0[i] = (T)m; s1[i] = (T)v;                                                \
            CT st = lt / (SQRT(v) + e);                                                \
            st = MINV(MAXV(st, lo), hi);                                               \
            w[i] = (T)(x - st * m);                                                    \
        });                                                                            \
        else UPD_LOOP(T, CT, 3, {                                                      \
            CT x = (CT)w[i];                                                           \
            CT gg = decay ? g + dk * x : g;                                            \
            CT m = bb1 * (CT)s0[i] + c1 * gg;                                          \
            CT v = bb2 * (CT)s1[i] + c2 * (gg * gg);                                   \
            CT vh = MAXV((CT)s2[i], v);                                                \
            s0[i] = (T)m; s1[i] = (T)v; s2[i] = (T)vh;                                 \
            CT st = lt / (SQRT(vh) + e);                                               \
            st = MINV(MAXV(st, lo), hi);                                               \
            w[i] = (T)(x - st * m);                                                    \
        });                                                                            \
    }
    UPD_DISPATCH(K_ADABOUND)
}

void mk_register_optim(void) {
    unsigned fl = MK_OP_NONDIFF | MK_OP_STATEFUL | MK_OP_F16_NATIVE | MK_OP_ELEMENTWISE;
    mk_ops[MK_OP_ASSIGN] = (mk_opdef){NULL, 2, 0, fl, infer_assign, {k_assign}};
    mk_ops[MK_OP_ASSIGN_ADD] = (mk_opdef){NULL, 2, 0, fl, infer_assign, {k_assign_add}};
    mk_ops[MK_OP_ASSIGN_SUB] = (mk_opdef){NULL, 2, 0, fl, infer_assign, {k_assign_sub}};
    unsigned uf = fl | MK_OP_VARIADIC;
    mk_ops[MK_OP_SGD_UPDATE] = (mk_opdef){NULL, 3, 0, uf, infer_sgd, {k_sgd}};
    mk_ops[MK_OP_ADAM_UPDATE] = (mk_opdef){NULL, 6, 0, uf, infer_adam, {k_adam}};
    mk_ops[MK_OP_RMSPROP_UPDATE] = (mk_opdef){NULL, 4, 0, uf, infer_rmsprop, {k_rmsprop}};
    mk_ops[MK_OP_ADAGRAD_UPDATE] = (mk_opdef){NULL, 4, 0, fl, infer_adagrad, {k_adagrad}};
    mk_ops[MK_OP_ADADELTA_UPDATE] = (mk_opdef){NULL, 5, 0, fl, infer_adadelta, {k_adadelta}};
    mk_ops[MK_OP_ADAMAX_UPDATE] = (mk_opdef){NULL, 6, 0, fl, infer_adamax, {k_adamax}};
    mk_ops[MK_OP_NADAM_CACHE_UPDATE] = (mk_opdef){NULL, 2, 0, fl, infer_nadam_cache, {k_nadam_cache}};
    mk_ops[MK_OP_NADAM_UPDATE] = (mk_opdef){NULL, 7, 0, fl, infer_nadam, {k_nadam}};
    mk_ops[MK_OP_ADABOUND_UPDATE] = (mk_opdef){NULL, 6, 0, uf, infer_adabound, {k_adabound}};
}
