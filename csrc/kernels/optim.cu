/* Optim family on the GPU: in-place updates of variable buffers (optim.c has the op
 * contract and the formulas; these kernels repeat them expression for expression, in the
 * same compute type: float for float16/float32 variables, double for float64).
 * Scalar inputs (lr, iteration, m_cache) are device tensors: each thread reads them on the
 * device (never on the host), and derives the step sizes from them in double as the CPU
 * does.  float16 arrives natively (the ops are F16_NATIVE): loaded as float, stored rounded
 * to nearest even like the CPU's _Float16.  The gradient may be strided (read through its
 * geometry); the variable and the slots are contiguous (infer checked). */
#include "cuda_common.cuh"

/* ---- helpers --------------------------------------------------------------------------- */

template <typename T> struct ctype { typedef T type; };
template <> struct ctype<__half> { typedef float type; };

template <typename T> __device__ __forceinline__ typename ctype<T>::type ld(T x) { return x; }
__device__ __forceinline__ float ld(__half x) { return __half2float(x); }
template <typename T> __device__ __forceinline__ T st(typename ctype<T>::type x) { return (T)x; }
template <> __device__ __forceinline__ __half st<__half>(float x) { return __float2half_rn(x); }

__device__ __forceinline__ float dsqrt(float x) { return sqrtf(x); }
__device__ __forceinline__ double dsqrt(double x) { return sqrt(x); }
#define MAXV(a, b) ((a) > (b) ? (a) : (b))
#define MINV(a, b) ((a) < (b) ? (a) : (b))

/* a one-element numeric tensor, read on the device as the CPU's scal() reads it */
typedef struct { const void *p; int dt; } scal_ref;

static scal_ref scal_of(const mk_tensor *t) {
    scal_ref s = {mk_data(t), t->dtype};
    return s;
}
static scal_ref scal_none(void) {
    scal_ref s = {NULL, -1};
    return s;
}

__device__ __forceinline__ double scal_read(scal_ref s) {
    switch (s.dt) {
    case MK_F32: return *(const float *)s.p;
    case MK_F64: return *(const double *)s.p;
    case MK_F16: return (double)__half2float(*(const __half *)s.p);
    case MK_I32: return *(const int32_t *)s.p;
    case MK_I64: return (double)*(const int64_t *)s.p;
    case MK_U8: return *(const uint8_t *)s.p;
    default: return 0;
    }
}

/* everything an update kernel reads: n elements of var w, slots s0..s2, grad g (strided
 * unless gdense), up to three scalars, the float attrs f[0..3] and int attrs i[0..1] */
template <typename T> struct upd_args {
    int64_t n;
    T *w, *s0, *s1, *s2;
    const T *g;
    mkg_geom gg;
    int gdense;
    scal_ref sc[3];
    double f[6];      /* the op's float attrs f[0..3]; f[4], f[5]: adabound's two bit-cast int attrs */
    int mode;         /* which variant (slots present, nesterov, ...) */
};

template <typename T>
__device__ __forceinline__ typename ctype<T>::type grad_at(const upd_args<T> &a, int64_t i) {
    return ld(a.g[a.gdense ? i : mkg_offset(a.gg, i)]);
}

/* row-major contiguous (size-1 dimensions may have any stride) */
static int is_dense(const mk_tensor *t) {
    int64_t want = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        if (t->shape[d] != 1 && t->strides[d] != want) return 0;
        want *= t->shape[d];
    }
    return 1;
}

/* inputs: var, nslots slots, grad (input gidx), scalars from input sidx on */
template <typename T>
static upd_args<T> make_args(const mk_call *c, int nslots, int gidx, int sidx, int nscal) {
    upd_args<T> a;
    mk_tensor *G = c->in[gidx];
    a.n = mk_numel(c->in[0]);
    a.w = mkg_ptr<T>(c->in[0]);
    a.s0 = nslots > 0 ? mkg_ptr<T>(c->in[1]) : NULL;
    a.s1 = nslots > 1 ? mkg_ptr<T>(c->in[2]) : NULL;
    a.s2 = nslots > 2 ? mkg_ptr<T>(c->in[3]) : NULL;
    a.g = mkg_ptr<T>(G);
    a.gg = mkg_geom_of(G);
    a.gdense = is_dense(G);
    for (int k = 0; k < 3; k++) a.sc[k] = k < nscal ? scal_of(c->in[sidx + k]) : scal_none();
    for (int k = 0; k < 4; k++) a.f[k] = c->a.f[k];
    a.f[4] = a.f[5] = 0;
    a.mode = 0;
    return a;
}

/* ---- assign / assign_add / assign_sub ------------------------------------------------ */

/* v[i] = x[i] for a strided x, moving W-sized words (any dtype, float16 and bool included) */
template <typename W>
__global__ void assign_kernel(W *v, const W *x, mkg_geom g, int64_t n) {
    MKG_GRID_STRIDE(i, n) v[i] = x[mkg_offset(g, i)];
}

static int k_assign_gpu(mk_call *c) {
    mk_tensor *v = c->in[0], *x = c->in[1];
    int64_t n = mk_numel(v);
    int isz = mk_dtypes[v->dtype].itemsize;
    if (n == 0) return 0;
    if (is_dense(x)) {
        if (mk_data(v) == mk_data(x)) return 0;
        return mkg_check_cuda(c, cudaMemcpyAsync(mk_data(v), mk_data(x), (size_t)n * isz,
                                                 cudaMemcpyDeviceToDevice, mkg_stream), "cudaMemcpyAsync");
    }
    mkg_geom g = mkg_geom_of(x);
    unsigned nb = mkg_blocks(n);
    switch (isz) {
    case 1: assign_kernel<uint8_t><<<nb, MKG_THREADS, 0, mkg_stream>>>(mkg_ptr<uint8_t>(v), mkg_ptr<uint8_t>(x), g, n); break;
    case 2: assign_kernel<uint16_t><<<nb, MKG_THREADS, 0, mkg_stream>>>(mkg_ptr<uint16_t>(v), mkg_ptr<uint16_t>(x), g, n); break;
    case 4: assign_kernel<uint32_t><<<nb, MKG_THREADS, 0, mkg_stream>>>(mkg_ptr<uint32_t>(v), mkg_ptr<uint32_t>(x), g, n); break;
    default: assign_kernel<uint64_t><<<nb, MKG_THREADS, 0, mkg_stream>>>(mkg_ptr<uint64_t>(v), mkg_ptr<uint64_t>(x), g, n); break;
    }
    return mkg_check_launch(c);
}

/* v op= x; integers wrap (computed unsigned: no signed-overflow UB), float16 through float */
template <typename T> __device__ __forceinline__ T acc_op(T a, T b, int sub) {
    return (T)(sub ? a - b : a + b);
}
template <> __device__ __forceinline__ int32_t acc_op<int32_t>(int32_t a, int32_t b, int sub) {
    return (int32_t)(sub ? (uint32_t)a - (uint32_t)b : (uint32_t)a + (uint32_t)b);
}
template <> __device__ __forceinline__ int64_t acc_op<int64_t>(int64_t a, int64_t b, int sub) {
    return (int64_t)(sub ? (uint64_t)a - (uint64_t)b : (uint64_t)a + (uint64_t)b);
}
template <> __device__ __forceinline__ __half acc_op<__half>(__half a, __half b, int sub) {
    float fa = __half2float(a), fb = __half2float(b);
    return __float2half_rn(sub ? fa - fb : fa + fb);
}

template <typename T>
__global__ void accumulate_kernel(T *v, const T *x, mkg_geom g, int dense, int64_t n, int sub) {
    MKG_GRID_STRIDE(i, n) v[i] = acc_op<T>(v[i], x[dense ? i : mkg_offset(g, i)], sub);
}

template <typename T> static int launch_accumulate(mk_call *c, int sub) {
    mk_tensor *v = c->in[0], *x = c->in[1];
    int64_t n = mk_numel(v);
    if (n == 0) return 0;
    accumulate_kernel<T><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(mkg_ptr<T>(v), mkg_ptr<T>(x), mkg_geom_of(x),
                                                                         is_dense(x), n, sub);
    return mkg_check_launch(c);
}

static int k_accumulate_gpu(mk_call *c, int sub) {
    switch (c->in[0]->dtype) {
    case MK_F32: return launch_accumulate<float>(c, sub);
    case MK_F64: return launch_accumulate<double>(c, sub);
    case MK_F16: return launch_accumulate<__half>(c, sub);
    case MK_I32: return launch_accumulate<int32_t>(c, sub);
    case MK_I64: return launch_accumulate<int64_t>(c, sub);
    case MK_U8: return launch_accumulate<uint8_t>(c, sub);
    /* the CPU kernel's own error (a host-side dtype check, not a data-dependent one) */
    default: return mkg_err(c, "cannot accumulate into a %s variable", mk_dtypes[c->in[0]->dtype].name);
    }
}
static int k_assign_add_gpu(mk_call *c) { return k_accumulate_gpu(c, 0); }
static int k_assign_sub_gpu(mk_call *c) { return k_accumulate_gpu(c, 1); }

/* ---- fused optimizer updates (formulas: optim.c) ------------------------------------- */
#define CTYPE typedef typename ctype<T>::type CT

/* mode 0: var -= lr*g;  1: momentum;  2: nesterov momentum.  sc[0] = lr, f[0] = momentum */
template <typename T> __global__ void sgd_kernel(upd_args<T> a) {
    CTYPE;
    double lr = scal_read(a.sc[0]);
    CT lr_ = (CT)lr, mo_ = (CT)a.f[0];
    MKG_GRID_STRIDE(i, a.n) {
        CT g = grad_at(a, i);
        if (a.mode == 0) {
            a.w[i] = st<T>(ld(a.w[i]) - lr_ * g);
        } else {
            CT acc = ld(a.s0[i]) * mo_ - g * lr_;
            a.s0[i] = st<T>(acc);
            if (a.mode == 2) a.w[i] = st<T>(ld(a.w[i]) + (acc * mo_ - g * lr_));
            else a.w[i] = st<T>(ld(a.w[i]) + acc);
        }
    }
}

/* sc = lr, iter; f = beta1, beta2, epsilon, weight_decay; mode 1: amsgrad (vhat slot) */
template <typename T> __global__ void adam_kernel(upd_args<T> a) {
    CTYPE;
    double lr = scal_read(a.sc[0]), t = scal_read(a.sc[1]) + 1;
    double b1 = a.f[0], b2 = a.f[1], eps = a.f[2], wd = a.f[3];
    double alpha = lr * sqrt(1 - pow(b2, t)) / (1 - pow(b1, t));
    CT al = (CT)alpha, e = (CT)eps, c1 = (CT)(1 - b1), c2 = (CT)(1 - b2);
    CT dk = (CT)(wd * lr);
    int decay = wd != 0;
    MKG_GRID_STRIDE(i, a.n) {
        CT g = grad_at(a, i);
        CT x = ld(a.w[i]);
        if (decay) x -= x * dk;
        CT m = ld(a.s0[i]), v = ld(a.s1[i]);
        m += (g - m) * c1;
        v += (g * g - v) * c2;
        a.s0[i] = st<T>(m);
        a.s1[i] = st<T>(v);
        if (a.mode == 0) {
            a.w[i] = st<T>(x - (m * al) / (dsqrt(v) + e));
        } else {
            CT vh = ld(a.s2[i]);
            vh = MAXV(vh, v);
            a.s2[i] = st<T>(vh);
            a.w[i] = st<T>(x - (m * al) / (dsqrt(vh) + e));
        }
    }
}

/* sc = lr; f = rho, momentum, epsilon; mode bit 0: momentum slot, bit 1: centered.
 * slots: ms, [mom,] [mg] in that order */
template <typename T> __global__ void rmsprop_kernel(upd_args<T> a) {
    CTYPE;
    double lr = scal_read(a.sc[0]), rho = a.f[0], momentum = a.f[1], eps = a.f[2];
    CT l = (CT)lr, r = (CT)rho, r1 = (CT)(1 - rho), mo = (CT)momentum, e = (CT)eps;
    int hm = a.mode & 1, ce = (a.mode >> 1) & 1;
    MKG_GRID_STRIDE(i, a.n) {
        CT g = grad_at(a, i);
        if (!hm && !ce) {
            CT ms = r * ld(a.s0[i]) + r1 * (g * g);
            a.s0[i] = st<T>(ms);
            a.w[i] = st<T>(ld(a.w[i]) - l * g / (dsqrt(ms) + e));
        } else if (!hm && ce) {
            CT ms = r * ld(a.s0[i]) + r1 * (g * g);
            CT mg = r * ld(a.s1[i]) + r1 * g;
            a.s0[i] = st<T>(ms);
            a.s1[i] = st<T>(mg);
            a.w[i] = st<T>(ld(a.w[i]) - l * g / (dsqrt(ms - mg * mg) + e));
        } else if (hm && !ce) {
            CT ms = ld(a.s0[i]);
            ms += (g * g - ms) * r1;
            CT mom = ld(a.s1[i]) * mo + (g * l) / dsqrt(ms + e);
            a.s0[i] = st<T>(ms);
            a.s1[i] = st<T>(mom);
            a.w[i] = st<T>(ld(a.w[i]) - mom);
        } else {
            CT ms = ld(a.s0[i]), mg = ld(a.s2[i]);
            ms += (g * g - ms) * r1;
            mg += (g - mg) * r1;
            CT mom = ld(a.s1[i]) * mo + (g * l) / dsqrt((ms - mg * mg) + e);
            a.s0[i] = st<T>(ms);
            a.s1[i] = st<T>(mom);
            a.s2[i] = st<T>(mg);
            a.w[i] = st<T>(ld(a.w[i]) - mom);
        }
    }
}

/* sc = lr; f[0] = epsilon */
template <typename T> __global__ void adagrad_kernel(upd_args<T> a) {
    CTYPE;
    double lr = scal_read(a.sc[0]);
    CT l = (CT)lr, e = (CT)a.f[0];
    MKG_GRID_STRIDE(i, a.n) {
        CT g = grad_at(a, i);
        CT acc = ld(a.s0[i]) + g * g;
        a.s0[i] = st<T>(acc);
        a.w[i] = st<T>(ld(a.w[i]) - g * l / (dsqrt(acc) + e));
    }
}

/* sc = lr; f = rho, epsilon; slots accum_grad, accum_var */
template <typename T> __global__ void adadelta_kernel(upd_args<T> a) {
    CTYPE;
    double lr = scal_read(a.sc[0]), rho = a.f[0], eps = a.f[1];
    CT l = (CT)lr, r = (CT)rho, r1 = (CT)(1 - rho), e = (CT)eps;
    MKG_GRID_STRIDE(i, a.n) {
        CT g = grad_at(a, i);
        CT acc = ld(a.s0[i]) * r + g * g * r1;
        CT u = dsqrt(ld(a.s1[i]) + e) / dsqrt(acc + e) * g;
        a.s0[i] = st<T>(acc);
        a.w[i] = st<T>(ld(a.w[i]) - u * l);
        a.s1[i] = st<T>(ld(a.s1[i]) * r + u * u * r1);
    }
}

/* sc = lr, iter; f = beta1, beta2, epsilon */
template <typename T> __global__ void adamax_kernel(upd_args<T> a) {
    CTYPE;
    double lr = scal_read(a.sc[0]), t = scal_read(a.sc[1]) + 1;
    double b1 = a.f[0], b2 = a.f[1], eps = a.f[2];
    double step = lr / (1 - pow(b1, t));
    CT stp = (CT)step, c1 = (CT)(1 - b1), bb = (CT)b2, e = (CT)eps;
    MKG_GRID_STRIDE(i, a.n) {
        CT g = grad_at(a, i);
        CT m = ld(a.s0[i]);
        m += (g - m) * c1;
        CT bv = bb * ld(a.s1[i]), ag = g < 0 ? -g : g;
        CT v = MAXV(bv, ag);
        a.s0[i] = st<T>(m);
        a.s1[i] = st<T>(v);
        a.w[i] = st<T>(ld(a.w[i]) - stp * (m / (v + e)));
    }
}

/* sc = lr, iter, m_cache (already updated this step); f = beta1, beta2, epsilon, decay */
template <typename T> __global__ void nadam_kernel(upd_args<T> a) {
    CTYPE;
    double lr = scal_read(a.sc[0]), it = scal_read(a.sc[1]), ms_new = scal_read(a.sc[2]);
    double b1 = a.f[0], b2 = a.f[1], eps = a.f[2], decay = a.f[3];
    double t = it + 1, tn = it + 2;
    double mu_t = b1 * (1 - 0.5 * pow(0.96, decay * t));
    double mu_t1 = b1 * (1 - 0.5 * pow(0.96, decay * tn));
    double ms_next = ms_new * mu_t1;
    double vden = 1 - pow(b2, t);
    CT l = (CT)lr, bb1 = (CT)b1, bb2 = (CT)b2, c1 = (CT)(1 - b1), c2 = (CT)(1 - b2);
    CT omn = (CT)(1 - ms_new), omx = (CT)(1 - ms_next), omm = (CT)(1 - mu_t);
    CT m1 = (CT)mu_t1, vd = (CT)vden, e = (CT)eps;
    MKG_GRID_STRIDE(i, a.n) {
        CT g = grad_at(a, i);
        CT gp = g / omn;
        CT m = bb1 * ld(a.s0[i]) + c1 * g;
        CT v = bb2 * ld(a.s1[i]) + c2 * (g * g);
        a.s0[i] = st<T>(m);
        a.s1[i] = st<T>(v);
        CT mbar = omm * gp + m1 * (m / omx);
        a.w[i] = st<T>(ld(a.w[i]) - l * mbar / (dsqrt(v / vd) + e));
    }
}

/* sc = lr, iter; f = beta1, beta2, epsilon, gamma, final_lr ratio, weight_decay;
 * mode 1: amsbound (vhat slot) */
template <typename T> __global__ void adabound_kernel(upd_args<T> a) {
    CTYPE;
    double lr = scal_read(a.sc[0]), t = scal_read(a.sc[1]) + 1;
    double b1 = a.f[0], b2 = a.f[1], eps = a.f[2], gamma = a.f[3], ratio = a.f[4], wd = a.f[5];
    double lr_t = lr * sqrt(1 - pow(b2, t)) / (1 - pow(b1, t));
    double fin = ratio * lr;
    double lower = fin * (1 - 1 / (gamma * t + 1)), upper = fin * (1 + 1 / (gamma * t));
    CT lt = (CT)lr_t, bb1 = (CT)b1, bb2 = (CT)b2, c1 = (CT)(1 - b1), c2 = (CT)(1 - b2);
    CT e = (CT)eps, lo = (CT)lower, hi = (CT)upper, dk = (CT)wd;
    int decay = wd != 0;
    MKG_GRID_STRIDE(i, a.n) {
        CT g = grad_at(a, i);
        CT x = ld(a.w[i]);
        CT gg = decay ? g + dk * x : g;
        CT m = bb1 * ld(a.s0[i]) + c1 * gg;
        CT v = bb2 * ld(a.s1[i]) + c2 * (gg * gg);
        a.s0[i] = st<T>(m);
        a.s1[i] = st<T>(v);
        CT vv = v;
        if (a.mode == 1) {
            CT vh = MAXV(ld(a.s2[i]), v);
            a.s2[i] = st<T>(vh);
            vv = vh;
        }
        CT stp = lt / (dsqrt(vv) + e);
        stp = MINV(MAXV(stp, lo), hi);
        a.w[i] = st<T>(x - stp * m);
    }
}

enum { U_SGD, U_ADAM, U_RMSPROP, U_ADAGRAD, U_ADADELTA, U_ADAMAX, U_NADAM, U_ADABOUND };

/* var = in[0], nslots slots, grad = in[gidx], nscal scalars from in[sidx] */
template <typename T>
static int launch_update(mk_call *c, int kind, int nslots, int gidx, int sidx, int nscal, int mode,
                         double x4, double x5) {
    upd_args<T> a = make_args<T>(c, nslots, gidx, sidx, nscal);
    a.mode = mode;
    a.f[4] = x4;
    a.f[5] = x5;
    if (a.n == 0) return 0;
    unsigned nb = mkg_blocks(a.n);
    switch (kind) {
    case U_SGD: sgd_kernel<T><<<nb, MKG_THREADS, 0, mkg_stream>>>(a); break;
    case U_ADAM: adam_kernel<T><<<nb, MKG_THREADS, 0, mkg_stream>>>(a); break;
    case U_RMSPROP: rmsprop_kernel<T><<<nb, MKG_THREADS, 0, mkg_stream>>>(a); break;
    case U_ADAGRAD: adagrad_kernel<T><<<nb, MKG_THREADS, 0, mkg_stream>>>(a); break;
    case U_ADADELTA: adadelta_kernel<T><<<nb, MKG_THREADS, 0, mkg_stream>>>(a); break;
    case U_ADAMAX: adamax_kernel<T><<<nb, MKG_THREADS, 0, mkg_stream>>>(a); break;
    case U_NADAM: nadam_kernel<T><<<nb, MKG_THREADS, 0, mkg_stream>>>(a); break;
    default: adabound_kernel<T><<<nb, MKG_THREADS, 0, mkg_stream>>>(a); break;
    }
    return mkg_check_launch(c);
}

static int update(mk_call *c, int kind, int nslots, int gidx, int sidx, int nscal, int mode,
                  double x4 = 0, double x5 = 0) {
    switch (c->in[0]->dtype) {
    case MK_F32: return launch_update<float>(c, kind, nslots, gidx, sidx, nscal, mode, x4, x5);
    case MK_F64: return launch_update<double>(c, kind, nslots, gidx, sidx, nscal, mode, x4, x5);
    case MK_F16: return launch_update<__half>(c, kind, nslots, gidx, sidx, nscal, mode, x4, x5);
    default: return mkg_err(c, "unsupported dtype %s", mk_dtypes[c->in[0]->dtype].name);
    }
}

/* sgd_update(var, grad, lr) or (var, accum, grad, lr).  Like the CPU kernel, any slot count
 * ns >= 1 (infer accepts more) uses in[1] as accum, in[2] as grad and in[ns+2] as lr. */
static int k_sgd_gpu(mk_call *c) {
    int ns = c->nin - 3;
    if (ns == 0) return update(c, U_SGD, 0, 1, 2, 1, 0);
    return update(c, U_SGD, 1, 2, ns + 2, 1, c->a.i[0] ? 2 : 1);
}

static int k_adam_gpu(mk_call *c) {
    int ns = c->nin - 4;
    return update(c, U_ADAM, ns, ns + 1, ns + 2, 2, ns == 3);
}

static int k_rmsprop_gpu(mk_call *c) {
    int hm = c->a.i[0] != 0, ce = c->a.i[1] != 0, ns = 1 + hm + ce;
    return update(c, U_RMSPROP, ns, ns + 1, ns + 2, 1, hm | (ce << 1));
}

static int k_adagrad_gpu(mk_call *c) { return update(c, U_ADAGRAD, 1, 2, 3, 1, 0); }
static int k_adadelta_gpu(mk_call *c) { return update(c, U_ADADELTA, 2, 3, 4, 1, 0); }
static int k_adamax_gpu(mk_call *c) { return update(c, U_ADAMAX, 2, 3, 4, 2, 0); }
static int k_nadam_gpu(mk_call *c) { return update(c, U_NADAM, 2, 3, 4, 3, 0); }

static double attr_bits(const mk_call *c, int k) {
    double d;
    int64_t b = c->a.i[k];
    memcpy(&d, &b, sizeof d);
    return d;
}

static int k_adabound_gpu(mk_call *c) {
    int ns = c->nin - 4;
    return update(c, U_ADABOUND, ns, ns + 1, ns + 2, 2, ns == 3, attr_bits(c, 0), attr_bits(c, 1));
}

/* m_cache *= beta1 * (1 - 0.5 * 0.96^(decay * t)), one element, rounded as on the CPU */
__global__ void nadam_cache_kernel(void *p, int dt, scal_ref iter, double b1, double decay) {
    double t = scal_read(iter) + 1;
    double mu = b1 * (1 - 0.5 * pow(0.96, decay * t));
    if (dt == MK_F32) *(float *)p = (float)(*(float *)p * (float)mu);
    else if (dt == MK_F64) *(double *)p *= mu;
    else *(__half *)p = __float2half_rn(__half2float(*(__half *)p) * (float)mu);
}

static int k_nadam_cache_gpu(mk_call *c) {
    int dt = c->in[0]->dtype;
    if (dt != MK_F32 && dt != MK_F64 && dt != MK_F16) return mkg_err(c, "unsupported dtype");
    nadam_cache_kernel<<<1, 1, 0, mkg_stream>>>(mk_data(c->in[0]), dt, scal_of(c->in[1]), c->a.f[0], c->a.f[1]);
    return mkg_check_launch(c);
}

void mkg_register_optim(mk_opdef *ops) {
    ops[MK_OP_ASSIGN].kernel[MK_GPU] = k_assign_gpu;
    ops[MK_OP_ASSIGN_ADD].kernel[MK_GPU] = k_assign_add_gpu;
    ops[MK_OP_ASSIGN_SUB].kernel[MK_GPU] = k_assign_sub_gpu;
    ops[MK_OP_SGD_UPDATE].kernel[MK_GPU] = k_sgd_gpu;
    ops[MK_OP_ADAM_UPDATE].kernel[MK_GPU] = k_adam_gpu;
    ops[MK_OP_RMSPROP_UPDATE].kernel[MK_GPU] = k_rmsprop_gpu;
    ops[MK_OP_ADAGRAD_UPDATE].kernel[MK_GPU] = k_adagrad_gpu;
    ops[MK_OP_ADADELTA_UPDATE].kernel[MK_GPU] = k_adadelta_gpu;
    ops[MK_OP_ADAMAX_UPDATE].kernel[MK_GPU] = k_adamax_gpu;
    ops[MK_OP_NADAM_CACHE_UPDATE].kernel[MK_GPU] = k_nadam_cache_gpu;
    ops[MK_OP_NADAM_UPDATE].kernel[MK_GPU] = k_nadam_gpu;
    ops[MK_OP_ADABOUND_UPDATE].kernel[MK_GPU] = k_adabound_gpu;
}
