// The gemm routines numpy's BLAS provides, called through addresses set once from Python.
#include "blas.h"

#include <omp.h>

#include <algorithm>
#include <mutex>

#include "registry.h"

namespace ember {
namespace blas {
namespace {

// CBLAS enum values (the same in every CBLAS header).
constexpr int kRowMajor = 101;
constexpr int kNoTrans = 111;
constexpr int kTrans = 112;

template <typename I, typename T>
using GemmFn = void (*)(int, int, int, I, I, I, T, const T*, I, const T*, I, T, T*, I);
using SetThreadsFn = void (*)(int);
using GetThreadsFn = int (*)();

struct Routines {
  void* sgemm = nullptr;
  void* dgemm = nullptr;
  bool ilp64 = false;  // 64-bit integer arguments (OpenBLAS built with INTERFACE64)
  SetThreadsFn set_threads = nullptr;
  GetThreadsFn get_threads = nullptr;
};

Routines routines;

// The SingleThreaded holders alive now, and the thread count to restore after the last.
std::mutex limit_mutex;
int limit_holders = 0;
int limit_saved = 1;

template <typename T>
void call(void* fn, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a,
          int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // an empty product: C = beta C (BLAS would reject the leading dims)
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
    }
    return;
  }
  const int opa = ta ? kTrans : kNoTrans;
  const int opb = tb ? kTrans : kNoTrans;
  if (routines.ilp64) {
    reinterpret_cast<GemmFn<int64_t, T>>(fn)(kRowMajor, opa, opb, m, n, k, T(1), a, lda, b,
                                             ldb, beta, c, ldc);
  } else {
    using I = int;
    reinterpret_cast<GemmFn<I, T>>(fn)(kRowMajor, opa, opb, I(m), I(n), I(k), T(1), a, I(lda),
                                       b, I(ldb), beta, c, I(ldc));
  }
}

// Hands over the routines' addresses (0 for none): sgemm and dgemm both or neither, and the
// same for the thread-count setter and getter.
void set_blas(uintptr_t sgemm, uintptr_t dgemm, bool ilp64, uintptr_t set_threads,
              uintptr_t get_threads) {
  require((sgemm == 0) == (dgemm == 0), "[set_blas] give both sgemm and dgemm, or neither");
  require((set_threads == 0) == (get_threads == 0),
          "[set_blas] give both thread-count routines, or neither");
  std::lock_guard<std::mutex> lock(limit_mutex);
  require(limit_holders == 0, "[set_blas] a kernel is running");
  routines.sgemm = reinterpret_cast<void*>(sgemm);
  routines.dgemm = reinterpret_cast<void*>(dgemm);
  routines.ilp64 = ilp64;
  routines.set_threads = reinterpret_cast<SetThreadsFn>(set_threads);
  routines.get_threads = reinterpret_cast<GetThreadsFn>(get_threads);
}

Register reg([](py::module_& m) {
  m.def("set_blas", &set_blas);
  m.def("blas_available", &available);
  m.def("blas_can_limit_threads", &can_limit_threads);
});

}  // namespace

bool available() { return routines.sgemm != nullptr; }

bool can_limit_threads() { return routines.set_threads != nullptr; }

int team(int64_t tasks, int64_t macs) {
  constexpr int64_t kParallelMacs = 1 << 18;  // below: one thread is quicker
  const int nt = omp_get_max_threads();
  if (nt <= 1 || tasks < 2 || macs < kParallelMacs || !can_limit_threads()) return 1;
  return static_cast<int>(std::min<int64_t>(nt, tasks));
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  call(routines.sgemm, ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  call(routines.dgemm, ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

SingleThreaded::SingleThreaded(bool on) : on_(on && routines.set_threads != nullptr) {
  if (!on_) return;
  std::lock_guard<std::mutex> lock(limit_mutex);
  if (limit_holders++ == 0) {
    limit_saved = routines.get_threads();
    routines.set_threads(1);
  }
}

SingleThreaded::~SingleThreaded() {
  if (!on_) return;
  std::lock_guard<std::mutex> lock(limit_mutex);
  if (--limit_holders == 0) routines.set_threads(limit_saved);
}

}  // namespace blas
}  // namespace ember
