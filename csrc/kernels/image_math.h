/* The image family's scalar math, shared by the CPU kernels (image.c) and their CUDA twins
 * (image.cu) so both devices resample with the same code: the resize methods, their kernels
 * and TF's fill-mode coordinate mapping, the HSV gradients.  MK_HD (mk.h) makes each function
 * __host__ __device__ under nvcc. */
#ifndef MK_IMAGE_MATH_H
#define MK_IMAGE_MATH_H
#include <math.h>
#include <stdint.h>

/* tf.image.resize methods (attribute i[2] of resize) */
enum {
    RS_BILINEAR = 0, RS_NEAREST = 1, RS_BICUBIC = 2, RS_AREA = 3,
    /* scale_and_translate kernels */
    RS_LANCZOS3 = 4, RS_LANCZOS5 = 5, RS_GAUSSIAN = 6, RS_MITCHELLCUBIC = 7,
    RS_TRIANGLE = 8, RS_KEYSCUBIC = 9, RS_BOX = 10, RS_LANCZOS1 = 11,
    RS_COUNT
};

static MK_HD int64_t clampi(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* the scale_and_translate kernels of TF's resize (ScaleAndTranslate) */
static MK_HD float k_eval(int m, float x) {
    x = fabsf(x);
    switch (m) {
    case RS_LANCZOS1: case RS_LANCZOS3: case RS_LANCZOS5: {
        float r = m == RS_LANCZOS1 ? 1.f : m == RS_LANCZOS3 ? 3.f : 5.f;
        const float kPI = 3.14159265359f;
        if (x > r) return 0.f;
        if (x <= 1e-3f) return 1.f;
        return r * sinf(kPI * x) * sinf(kPI * x / r) / (kPI * kPI * x * x);
    }
    case RS_GAUSSIAN: {
        const float radius = 1.5f, sigma = 1.5f / 3.0f;
        if (x >= radius) return 0.f;
        return (float)exp(-x * x / (2.0 * sigma * sigma));
    }
    case RS_BOX: return x < 0.5f ? 1.f : x == 0.5f ? 0.5f : 0.f;
    case RS_TRIANGLE: return x < 1.f ? 1.f - x : 0.f;
    case RS_KEYSCUBIC:
        if (x >= 2.f) return 0.f;
        if (x >= 1.f) return ((-0.5f * x + 2.5f) * x - 4.0f) * x + 2.0f;
        return ((1.5f * x - 2.5f) * x) * x + 1.0f;
    case RS_MITCHELLCUBIC:
        if (x >= 2.f) return 0.f;
        if (x >= 1.f) return (((-7.0f / 18.0f) * x + 2.0f) * x - 10.0f / 3.0f) * x + 16.0f / 9.0f;
        return (((7.0f / 6.0f) * x - 2.0f) * x) * x + 8.0f / 9.0f;
    }
    return 0.f;
}

static MK_HD float k_radius(int m) {
    switch (m) {
    case RS_LANCZOS3: return 3.f;
    case RS_LANCZOS5: return 5.f;
    case RS_GAUSSIAN: return 1.5f;
    case RS_KEYSCUBIC: case RS_MITCHELLCUBIC: return 2.f;
    default: return 1.f;
    }
}

/* Keys cubic coefficient of TF's 1024-entry table (a = -0.5) */
static MK_HD float cubic_tab(int64_t i, int second) {
    const double a = -0.5;
    float x = (float)(i * 1.0 / 1024);
    if (!second) return (float)(((a + 2) * x - (a + 3)) * x * x + 1);
    x += 1.0f;
    return (float)(((a * x - 5 * a) * x + 8 * a) * x - 4 * a);
}

/* ---- projective transform (ImageProjectiveTransformV3): TF's fill modes ---- */
static MK_HD float map_coord(float x, int64_t len, int mode) {
    switch (mode) {
    case 0: { /* reflect: [abcd] -> [dcba|abcd|dcba] */
        if (x < 0) {
            if (len <= 1) x = 0;
            else {
                int64_t sz2 = 2 * len;
                if (x < sz2) x = (float)(sz2 * (int64_t)(-x / sz2)) + x;
                x = (x < -len) ? x + sz2 : -x - 1;
            }
        } else if (x > len - 1) {
            if (len <= 1) x = 0;
            else {
                int64_t sz2 = 2 * len;
                x -= (float)(sz2 * (int64_t)(x / sz2));
                if (x >= len) x = sz2 - x - 1;
            }
        }
        break;
    }
    case 1: { /* wrap: [abcd] -> [abcd|abcd|abcd] */
        if (x < 0) {
            if (len <= 1) x = 0;
            else {
                int64_t sz = len - 1;
                x += (float)(len * ((int64_t)(-x / sz) + 1));
            }
        } else if (x > len - 1) {
            if (len <= 1) x = 0;
            else {
                int64_t sz = len - 1;
                x -= (float)(len * (int64_t)(x / sz));
            }
        }
        break;
    }
    case 2: return x; /* constant */
    default: break;   /* nearest: clamp */
    }
    float hi = (float)(len - 1);
    return x < 0.f ? 0.f : x > hi ? hi : x;
}

/* ---- gradients of rgb_to_hsv / hsv_to_rgb for one pixel, in double ---- */
static MK_HD void grad_rgb_to_hsv(const double *x, const double *dy, double *dx) {
    double r = x[0], g = x[1], b = x[2];
    double mx = r > g ? r : g; mx = mx > b ? mx : b;
    double mn = r < g ? r : g; mn = mn < b ? mn : b;
    double range = mx - mn;
    int imax = r == mx ? 0 : g == mx ? 1 : 2;
    int imin = r == mn ? 0 : g == mn ? 1 : 2;
    if (range > 0 && imin == imax) imin = (imax + 1) % 3;
    double e_max[3] = {0, 0, 0}, drange[3] = {0, 0, 0}, dnum[3] = {0, 0, 0}, num = 0;
    e_max[imax] = 1;
    if (range > 0) { drange[imax] += 1; drange[imin] -= 1; }
    if (imax == 0) { num = g - b; dnum[1] = 1; dnum[2] = -1; }
    else if (imax == 1) { num = b - r; dnum[0] = -1; dnum[2] = 1; }
    else { num = r - g; dnum[0] = 1; dnum[1] = -1; }
    for (int k = 0; k < 3; k++) {
        double dh = range > 0 ? dnum[k] / (6 * range) - num * drange[k] / (6 * range * range) : 0;
        double ds = mx > 0 ? drange[k] / mx - range * e_max[k] / (mx * mx) : 0;
        dx[k] = dy[0] * dh + dy[1] * ds + dy[2] * e_max[k];
    }
}

static MK_HD void grad_hsv_to_rgb(const double *x, const double *dy, double *dx) {
    double h = x[0], s = x[1], v = x[2], t = h * 6;
    double f[3], df[3];
    double a = fabs(t - 3) - 1;                          /* r: clamp(|t-3|-1) */
    f[0] = a < 0 ? 0 : a > 1 ? 1 : a;
    df[0] = (a > 0 && a < 1) ? 6 * (t > 3 ? 1 : -1) : 0;
    a = 2 - fabs(t - 2);                                 /* g: clamp(2-|t-2|) */
    f[1] = a < 0 ? 0 : a > 1 ? 1 : a;
    df[1] = (a > 0 && a < 1) ? -6 * (t > 2 ? 1 : -1) : 0;
    a = 2 - fabs(t - 4);                                 /* b: clamp(2-|t-4|) */
    f[2] = a < 0 ? 0 : a > 1 ? 1 : a;
    df[2] = (a > 0 && a < 1) ? -6 * (t > 4 ? 1 : -1) : 0;
    double gh = 0, gs = 0, gv = 0;
    for (int k = 0; k < 3; k++) {                        /* out_k = (1 - s + s f_k) v */
        gh += dy[k] * s * v * df[k];
        gs += dy[k] * (f[k] - 1) * v;
        gv += dy[k] * (1 - s + s * f[k]);
    }
    dx[0] = gh; dx[1] = gs; dx[2] = gv;
}

#endif
