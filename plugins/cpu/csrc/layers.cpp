// Fused kernels of the ember-layers ops: layer_norm forward (output, mean, rstd), gelu and
// its gradient, and the embedding weight gradient. Inputs are C-contiguous float32/float64.
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <tuple>
#include <vector>

#include "registry.h"

namespace ember {
namespace {

// layer_norm over the last n elements of every row: x is (m, n) in memory.
template <typename T>
std::tuple<py::array_t<T>, py::array_t<T>, py::array_t<T>> layer_norm_fwd(
    carray<T> x, py::object weight, py::object bias, int64_t m, int64_t n, double eps) {
  require(m * n == x.size(), "[layer_norm] rows x normalized size does not match the array");
  const T* w = nullptr;
  const T* b = nullptr;
  carray<T> warr, barr;
  if (!weight.is_none()) {
    warr = weight.cast<carray<T>>();
    require(warr.size() == n, "[layer_norm] weight size does not match normalized size");
    w = warr.data();
  }
  if (!bias.is_none()) {
    barr = bias.cast<carray<T>>();
    require(barr.size() == n, "[layer_norm] bias size does not match normalized size");
    b = barr.data();
  }
  py::array_t<T> out(x.request().shape);
  py::array_t<T> mean_out(m);
  py::array_t<T> rstd_out(m);
  const T* src = x.data();
  T* dst = out.mutable_data();
  T* mean_p = mean_out.mutable_data();
  T* rstd_p = rstd_out.mutable_data();
  {
    py::gil_scoped_release release;
#pragma omp parallel for if (m * n > 32768)
    for (int64_t r = 0; r < m; ++r) {
      const T* row = src + r * n;
      T* orow = dst + r * n;
      double sum = 0;
      for (int64_t j = 0; j < n; ++j) sum += row[j];
      const double mu = n ? sum / n : 0.0;
      double sq = 0;
      for (int64_t j = 0; j < n; ++j) {
        const double d = row[j] - mu;
        sq += d * d;
      }
      const double rs = 1.0 / std::sqrt((n ? sq / n : 0.0) + eps);
      const T mu_t = static_cast<T>(mu);
      const T rs_t = static_cast<T>(rs);
      for (int64_t j = 0; j < n; ++j) {
        T v = (row[j] - mu_t) * rs_t;
        if (w) v *= w[j];
        if (b) v += b[j];
        orow[j] = v;
      }
      mean_p[r] = mu_t;
      rstd_p[r] = rs_t;
    }
  }
  return {out, mean_out, rstd_out};
}

constexpr double kSqrt2OverPi = 0.7978845608028654;  // sqrt(2 / pi)
constexpr double kInvSqrt2 = 0.7071067811865476;
constexpr double kInvSqrt2Pi = 0.3989422804014327;  // 1 / sqrt(2 pi)
constexpr double kCoef = 0.044715;

template <typename T>
py::array_t<T> gelu_fwd(carray<T> x, bool tanh_approx) {
  py::array_t<T> out(x.request().shape);
  const T* src = x.data();
  T* dst = out.mutable_data();
  const int64_t size = x.size();
  py::gil_scoped_release release;
#pragma omp parallel for if (size > 32768)
  for (int64_t i = 0; i < size; ++i) {
    const T v = src[i];
    if (tanh_approx) {
      const T inner = static_cast<T>(kSqrt2OverPi) * (v + static_cast<T>(kCoef) * v * v * v);
      dst[i] = static_cast<T>(0.5) * v * (static_cast<T>(1) + std::tanh(inner));
    } else {
      dst[i] = v * static_cast<T>(0.5) * (static_cast<T>(1) + std::erf(v * static_cast<T>(kInvSqrt2)));
    }
  }
  return out;
}

template <typename T>
py::array_t<T> gelu_bwd(carray<T> g, carray<T> x, bool tanh_approx) {
  require(g.size() == x.size(), "[gelu_backward] grad and input sizes differ");
  py::array_t<T> out(x.request().shape);
  const T* gp = g.data();
  const T* xp = x.data();
  T* dst = out.mutable_data();
  const int64_t size = x.size();
  py::gil_scoped_release release;
#pragma omp parallel for if (size > 32768)
  for (int64_t i = 0; i < size; ++i) {
    const T v = xp[i];
    T d;
    if (tanh_approx) {
      const T v2 = v * v;
      const T t = std::tanh(static_cast<T>(kSqrt2OverPi) * (v + static_cast<T>(kCoef) * v2 * v));
      const T dinner = static_cast<T>(kSqrt2OverPi) * (static_cast<T>(1) + static_cast<T>(3 * kCoef) * v2);
      d = static_cast<T>(0.5) * (static_cast<T>(1) + t) + static_cast<T>(0.5) * v * (static_cast<T>(1) - t * t) * dinner;
    } else {
      const T cdf = static_cast<T>(0.5) * (static_cast<T>(1) + std::erf(v * static_cast<T>(kInvSqrt2)));
      const T pdf = static_cast<T>(kInvSqrt2Pi) * std::exp(static_cast<T>(-0.5) * v * v);
      d = cdf + v * pdf;
    }
    dst[i] = gp[i] * d;
  }
  return out;
}

// grad_weight[idx[i], :] += g[i, :] (times 1 / count(idx[i]) when scaling), skipping
// padding_idx. Threads own disjoint column ranges, so no two threads write one element.
template <typename T>
py::array_t<T> embedding_bwd(carray<T> g, carray<int64_t> idx, int64_t num, int64_t padding_idx,
                             bool scale) {
  const int64_t n = idx.size();
  require(g.ndim() == 2 && g.shape(0) == n, "[embedding_backward] grad must be (n, dim)");
  const int64_t dim = g.shape(1);
  const int64_t* ip = idx.data();
  for (int64_t i = 0; i < n; ++i)
    require(ip[i] >= 0 && ip[i] < num, "[embedding_backward] index out of range");
  py::array_t<T> out({num, dim});
  T* dst = out.mutable_data();
  const T* gp = g.data();
  py::gil_scoped_release release;
  std::vector<T> inv(scale ? num : 0, static_cast<T>(0));
  if (scale) {
    for (int64_t i = 0; i < n; ++i) inv[ip[i]] += 1;
    for (int64_t r = 0; r < num; ++r) inv[r] = inv[r] > 0 ? static_cast<T>(1) / inv[r] : 0;
  }
  std::fill(dst, dst + num * dim, static_cast<T>(0));
  const int nthreads = (n * dim > 65536) ? omp_get_max_threads() : 1;
#pragma omp parallel num_threads(nthreads)
  {
    const int tid = omp_get_thread_num();
    const int nt = omp_get_num_threads();
    const int64_t lo = dim * tid / nt;
    const int64_t hi = dim * (tid + 1) / nt;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t r = ip[i];
      if (r == padding_idx) continue;
      const T s = scale ? inv[r] : static_cast<T>(1);
      const T* grow = gp + i * dim;
      T* drow = dst + r * dim;
      for (int64_t j = lo; j < hi; ++j) drow[j] += s * grow[j];
    }
  }
  return out;
}

Register reg([](py::module_& m) {
  m.def("layer_norm_f32", &layer_norm_fwd<float>);
  m.def("layer_norm_f64", &layer_norm_fwd<double>);
  m.def("gelu_f32", &gelu_fwd<float>);
  m.def("gelu_f64", &gelu_fwd<double>);
  m.def("gelu_backward_f32", &gelu_bwd<float>);
  m.def("gelu_backward_f64", &gelu_bwd<double>);
  m.def("embedding_backward_f32", &embedding_bwd<float>);
  m.def("embedding_backward_f64", &embedding_bwd<double>);
});

}  // namespace
}  // namespace ember
