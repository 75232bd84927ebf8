/* Which CBLAS we link: the scipy-openblas32 wheel (the OpenBLAS build numpy
 * itself ships; its symbols carry a scipy_ prefix) or the system's cblas.h.
 * setup.py defines MK_BLAS_SCIPY for the former.  See ARCHITECTURE.md for why. */
#ifndef MK_BLAS_H
#define MK_BLAS_H
#ifdef MK_BLAS_SCIPY
#include "cblas.h"          /* from scipy_openblas32/include; BLAS_SYMBOL_PREFIX renames */
#define MK_CBLAS(name) scipy_cblas_##name
#define MK_BLAS_SET_THREADS(n) scipy_openblas_set_num_threads(n)
#else
#include <cblas.h>
#define MK_CBLAS(name) cblas_##name
void openblas_set_num_threads(int);
#define MK_BLAS_SET_THREADS(n) openblas_set_num_threads(n)
#endif
#ifndef OPENBLAS_CONST
typedef int blasint;
#endif
#endif
