// Matrix products for the C++ kernels, through the BLAS library numpy itself loaded.
//
// ember-cpu links no BLAS of its own: at import, Python finds numpy's library and hands the
// addresses of its cblas_?gemm routines (and of its thread-count getter and setter, when the
// library has them) to `set_blas` (see ember_cpu/_blas.py). Kernels check `available()` and
// their Python callers keep a numpy path for when it is false.
#pragma once
#include <cstdint>

namespace ember {
namespace blas {

// Whether gemm routines were handed over.
bool available();

// Whether the BLAS's thread count can be set, which kernels need before calling gemm from
// inside their own parallel loops.
bool can_limit_threads();

// Threads for a parallel loop of `tasks` independent tasks, each calling gemm, doing `macs`
// multiply-adds in all: one per task up to the OpenMP pool's size when the work is worth
// it and the BLAS can be held to one thread per call (see SingleThreaded), else 1 (the BLAS
// may then use its own threads inside each product).
int team(int64_t tasks, int64_t macs);

// C = A' B' + beta C for row-major matrices, A' = transa ? A^T : A (m x k), B' (k x n).
void gemm(bool transa, bool transb, int64_t m, int64_t n, int64_t k, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
void gemm(bool transa, bool transb, int64_t m, int64_t n, int64_t k, const double* a,
          int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc);

// While alive (and `on`), the BLAS runs every call on its calling thread: a kernel holds one
// around a parallel loop whose threads each call gemm. The BLAS's setting is process-wide,
// so overlapping holders (kernels on several Python threads) share one limit, lifted when
// the last of them ends.
class SingleThreaded {
 public:
  explicit SingleThreaded(bool on);
  ~SingleThreaded();
  SingleThreaded(const SingleThreaded&) = delete;
  SingleThreaded& operator=(const SingleThreaded&) = delete;

 private:
  bool on_;
};

}  // namespace blas
}  // namespace ember
