"""Gradient checks: tf.GradientTape against central finite differences in float64."""
import numpy as np

from minikeras import tf


def numeric_grad(fn, arrays, weights, eps=1e-6):
    grads = []
    for k, a in enumerate(arrays):
        g = np.zeros_like(a)
        flat = a.reshape(-1)
        gf = g.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            fp = float(np.sum(np.asarray(fn(*[tf.constant(x) for x in arrays])) * weights))
            flat[i] = old - eps
            fm = float(np.sum(np.asarray(fn(*[tf.constant(x) for x in arrays])) * weights))
            flat[i] = old
            gf[i] = (fp - fm) / (2 * eps)
        grads.append(g)
    return grads


def check_grad(fn, arrays, atol=1e-6, rtol=1e-4, seed=0):
    """fn takes tensors and returns a tensor; arrays are float64 numpy inputs.
    Compares d sum(fn * w)/d inputs (random w) from the tape with finite differences."""
    arrays = [np.array(a, dtype=np.float64, order="C") for a in arrays]
    ts = [tf.constant(a) for a in arrays]
    with tf.GradientTape() as tape:
        for t in ts:
            tape.watch(t)
        out = fn(*ts)
        w = np.random.default_rng(seed).uniform(0.5, 1.5, size=tuple(out.shape))
        loss = tf.math.reduce_sum(out * tf.constant(w)) if out.ndim else out * float(w)
    analytic = tape.gradient(loss, ts)
    numeric = numeric_grad(fn, arrays, w)
    for k, (ga, gn) in enumerate(zip(analytic, numeric)):
        ga = np.zeros_like(gn) if ga is None else np.asarray(ga)
        np.testing.assert_allclose(ga, gn, atol=atol, rtol=rtol,
                                   err_msg=f"gradient of input {k} differs from finite differences")
