// Scaled-dot-product attention, forward and backward, over a stack of n independent
// (batch, head) items: q (n, L, E), k (n, S, E), v (n, S, Ev), and optionally an additive
// bias and a dropout keep-mask (already scaled), both (n, L, S). OpenMP threads take items;
// each item's products are single-threaded gemm calls from numpy's BLAS.
//
// Forward:  P = softmax(Q K^T scale + bias) (a row whose scores are all -inf gives 0),
//           O = (P keep) V.
// Backward: dV = (P keep)^T dO, dP = (dO V^T) keep, dS = P (dP - rowsum(dP P)),
//           dQ = dS K scale, dK = dS^T Q scale.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

#include "blas.h"
#include "fastmath.h"
#include "registry.h"

namespace ember {
namespace {

struct Shapes {
  int64_t n, L, S, E, Ev;
};

template <typename T>
const T* optional_data(const py::object& a, const Shapes& sh, const char* what,
                       carray<T>& keep_alive) {
  if (a.is_none()) return nullptr;
  keep_alive = a.cast<carray<T>>();
  require(keep_alive.ndim() == 3 && keep_alive.shape(0) == sh.n && keep_alive.shape(1) == sh.L &&
              keep_alive.shape(2) == sh.S,
          std::string("[scaled_dot_product_attention] ") + what + " must be (n, L, S)");
  return keep_alive.data();
}

// One row of scores into probabilities, in place: scale, add the bias, softmax. The row's
// maximum is taken as 0 when it is not finite (all -inf: every exp is 0 and the row stays
// 0; NaN: the NaN spreads through the sum, as in the composite). Every loop is a SIMD loop.
template <typename T>
void softmax_row(T* s, const T* bias, int64_t S, T scale) {
  if (bias != nullptr) {
#pragma omp simd
    for (int64_t j = 0; j < S; ++j) s[j] = s[j] * scale + bias[j];
  } else {
#pragma omp simd
    for (int64_t j = 0; j < S; ++j) s[j] = s[j] * scale;
  }
  T top = -std::numeric_limits<T>::infinity();
  int nans = 0;
#pragma omp simd reduction(max : top) reduction(+ : nans)
  for (int64_t j = 0; j < S; ++j) {
    top = s[j] > top ? s[j] : top;
    nans += s[j] != s[j];
  }
  if (nans > 0 || !std::isfinite(top)) top = T(0);
  T sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < S; ++j) {
    const T e = exp_fast(s[j] - top);
    s[j] = e;
    sum += e;
  }
  if (sum > 0) {
    const T inv = T(1) / sum;
#pragma omp simd
    for (int64_t j = 0; j < S; ++j) s[j] = s[j] * inv;
  }
}

// Elementwise a[j] *= b[j].
template <typename T>
void scale_by(T* a, const T* b, int64_t n) {
#pragma omp simd
  for (int64_t j = 0; j < n; ++j) a[j] *= b[j];
}

template <typename T>
std::tuple<py::array_t<T>, py::array_t<T>> sdpa_fwd(carray<T> q, carray<T> k, carray<T> v,
                                                    py::object bias, py::object keep,
                                                    double scale) {
  require(blas::available(), "[scaled_dot_product_attention] no BLAS was handed over");
  require(q.ndim() == 3 && k.ndim() == 3 && v.ndim() == 3 && k.shape(0) == q.shape(0) &&
              v.shape(0) == q.shape(0) && k.shape(2) == q.shape(2) && v.shape(1) == k.shape(1),
          "[scaled_dot_product_attention] expected q (n, L, E), k (n, S, E), v (n, S, Ev)");
  const Shapes sh{q.shape(0), q.shape(1), k.shape(1), q.shape(2), v.shape(2)};
  carray<T> bias_arr, keep_arr;
  const T* bp = optional_data(bias, sh, "bias", bias_arr);
  const T* mp = optional_data(keep, sh, "keep", keep_arr);
  py::array_t<T> out({sh.n, sh.L, sh.Ev});
  py::array_t<T> probs({sh.n, sh.L, sh.S});
  const T* qp = q.data();
  const T* kp = k.data();
  const T* vp = v.data();
  T* op = out.mutable_data();
  T* pp = probs.mutable_data();
  py::gil_scoped_release release;
  const int64_t LS = sh.L * sh.S;
  const int nt = blas::team(sh.n, sh.n * LS * (sh.E + sh.Ev));
  blas::SingleThreaded limit(nt > 1);
#pragma omp parallel num_threads(nt)
  {
    std::vector<T> dropped(mp != nullptr ? LS : 0);
#pragma omp for schedule(static)
    for (int64_t i = 0; i < sh.n; ++i) {
      T* s = pp + i * LS;
      blas::gemm(false, true, sh.L, sh.S, sh.E, qp + i * sh.L * sh.E, sh.E,
                 kp + i * sh.S * sh.E, sh.E, T(0), s, sh.S);
      for (int64_t r = 0; r < sh.L; ++r) {
        softmax_row(s + r * sh.S, bp == nullptr ? nullptr : bp + i * LS + r * sh.S, sh.S,
                    static_cast<T>(scale));
      }
      const T* pd = s;
      if (mp != nullptr) {
        std::copy(s, s + LS, dropped.data());
        scale_by(dropped.data(), mp + i * LS, LS);
        pd = dropped.data();
      }
      blas::gemm(false, false, sh.L, sh.Ev, sh.S, pd, sh.S, vp + i * sh.S * sh.Ev, sh.Ev, T(0),
                 op + i * sh.L * sh.Ev, sh.Ev);
    }
  }
  return {out, probs};
}

template <typename T>
py::tuple sdpa_bwd(carray<T> g, carray<T> q, carray<T> k, carray<T> v, carray<T> p,
                   py::object keep, double scale, bool want_scores) {
  require(blas::available(), "[scaled_dot_product_attention] no BLAS was handed over");
  require(q.ndim() == 3 && k.ndim() == 3 && v.ndim() == 3 && g.ndim() == 3 && p.ndim() == 3,
          "[scaled_dot_product_attention_backward] expected 3-D stacks");
  const Shapes sh{q.shape(0), q.shape(1), k.shape(1), q.shape(2), v.shape(2)};
  require(k.shape(0) == sh.n && v.shape(0) == sh.n && k.shape(2) == sh.E &&
              v.shape(1) == sh.S && g.shape(0) == sh.n && g.shape(1) == sh.L &&
              g.shape(2) == sh.Ev && p.shape(0) == sh.n && p.shape(1) == sh.L &&
              p.shape(2) == sh.S,
          "[scaled_dot_product_attention_backward] shapes do not match");
  carray<T> keep_arr;
  const T* mp = optional_data(keep, sh, "keep", keep_arr);
  py::array_t<T> dq({sh.n, sh.L, sh.E});
  py::array_t<T> dk({sh.n, sh.S, sh.E});
  py::array_t<T> dv({sh.n, sh.S, sh.Ev});
  py::object scores = py::none();
  T* dsp = nullptr;
  if (want_scores) {
    py::array_t<T> ds({sh.n, sh.L, sh.S});
    dsp = ds.mutable_data();
    scores = ds;
  }
  const T* gp = g.data();
  const T* qp = q.data();
  const T* kp = k.data();
  const T* vp = v.data();
  const T* pp = p.data();
  T* dqp = dq.mutable_data();
  T* dkp = dk.mutable_data();
  T* dvp = dv.mutable_data();
  {
    py::gil_scoped_release release;
    const int64_t LS = sh.L * sh.S;
    const int nt = blas::team(sh.n, sh.n * LS * 2 * (sh.E + sh.Ev));
    blas::SingleThreaded limit(nt > 1);
#pragma omp parallel num_threads(nt)
    {
      std::vector<T> ds(LS);
      std::vector<T> dropped(mp != nullptr ? LS : 0);
#pragma omp for schedule(static)
      for (int64_t i = 0; i < sh.n; ++i) {
        const T* pi = pp + i * LS;
        const T* gi = gp + i * sh.L * sh.Ev;
        const T* vi = vp + i * sh.S * sh.Ev;
        const T* mi = mp == nullptr ? nullptr : mp + i * LS;
        const T* pd = pi;
        if (mi != nullptr) {
          std::copy(pi, pi + LS, dropped.data());
          scale_by(dropped.data(), mi, LS);
          pd = dropped.data();
        }
        blas::gemm(true, false, sh.S, sh.Ev, sh.L, pd, sh.S, gi, sh.Ev, T(0),
                   dvp + i * sh.S * sh.Ev, sh.Ev);
        blas::gemm(false, true, sh.L, sh.S, sh.Ev, gi, sh.Ev, vi, sh.Ev, T(0), ds.data(), sh.S);
        if (mi != nullptr) scale_by(ds.data(), mi, LS);
        for (int64_t r = 0; r < sh.L; ++r) {
          T* d = ds.data() + r * sh.S;
          const T* pr = pi + r * sh.S;
          T dot = 0;
#pragma omp simd reduction(+ : dot)
          for (int64_t j = 0; j < sh.S; ++j) dot += d[j] * pr[j];
#pragma omp simd
          for (int64_t j = 0; j < sh.S; ++j) d[j] = (d[j] - dot) * pr[j];
        }
        if (dsp != nullptr) std::copy(ds.begin(), ds.end(), dsp + i * LS);
        const T sc = static_cast<T>(scale);
#pragma omp simd
        for (int64_t j = 0; j < LS; ++j) ds[j] *= sc;
        blas::gemm(false, false, sh.L, sh.E, sh.S, ds.data(), sh.S, kp + i * sh.S * sh.E, sh.E,
                   T(0), dqp + i * sh.L * sh.E, sh.E);
        blas::gemm(true, false, sh.S, sh.E, sh.L, ds.data(), sh.S, qp + i * sh.L * sh.E, sh.E,
                   T(0), dkp + i * sh.S * sh.E, sh.E);
      }
    }
  }
  return py::make_tuple(dq, dk, dv, scores);
}

Register reg([](py::module_& m) {
  m.def("sdpa_f32", &sdpa_fwd<float>);
  m.def("sdpa_f64", &sdpa_fwd<double>);
  m.def("sdpa_backward_f32", &sdpa_bwd<float>);
  m.def("sdpa_backward_f64", &sdpa_bwd<double>);
});

}  // namespace
}  // namespace ember
