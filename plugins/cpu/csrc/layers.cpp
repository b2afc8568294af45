// Fused kernels of the ember-layers ops: layer_norm forward (output, mean, rstd), batch_norm
// training forward (output, mean, invstd, biased variance) and backward, gelu and relu
// and their gradients, and the embedding weight gradient. Inputs are C-contiguous float32/float64.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <tuple>
#include <vector>

#include "fastmath.h"
#include "parallel.h"
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
      // Two passes with double accumulators (still SIMD): the mean, then the centered
      // sum of squares, so rows with a large offset keep their precision.
      double sum = 0;
#pragma omp simd reduction(+ : sum)
      for (int64_t j = 0; j < n; ++j) sum += static_cast<double>(row[j]);
      const double mu = n ? sum / static_cast<double>(n) : 0.0;
      double sq = 0;
#pragma omp simd reduction(+ : sq)
      for (int64_t j = 0; j < n; ++j) {
        const double d = static_cast<double>(row[j]) - mu;
        sq += d * d;
      }
      const T mu_t = static_cast<T>(mu);
      const T rs_t = static_cast<T>(1.0 / std::sqrt((n ? sq / static_cast<double>(n) : 0.0) + eps));
#pragma omp simd
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

// batch_norm in training mode: x is (N, C, L) in memory; statistics per channel over N and
// L (mean, biased variance, 1 / sqrt(var + eps)), two passes with double accumulators.
template <typename T>
std::tuple<py::array_t<T>, py::array_t<T>, py::array_t<T>, py::array_t<T>> batch_norm_fwd(
    carray<T> x, py::object weight, py::object bias, int64_t N, int64_t C, int64_t L,
    double eps) {
  require(N * C * L == x.size(), "[batch_norm] N x C x L does not match the array");
  const T* w = nullptr;
  const T* b = nullptr;
  carray<T> warr, barr;
  if (!weight.is_none()) {
    warr = weight.cast<carray<T>>();
    require(warr.size() == C, "[batch_norm] weight size does not match the channels");
    w = warr.data();
  }
  if (!bias.is_none()) {
    barr = bias.cast<carray<T>>();
    require(barr.size() == C, "[batch_norm] bias size does not match the channels");
    b = barr.data();
  }
  py::array_t<T> out(x.request().shape);
  py::array_t<T> mean_out(C), invstd_out(C), var_out(C);
  const T* src = x.data();
  T* dst = out.mutable_data();
  T* mean_p = mean_out.mutable_data();
  T* invstd_p = invstd_out.mutable_data();
  T* var_p = var_out.mutable_data();
  const double count = static_cast<double>(N * L);
  {
    py::gil_scoped_release release;
#pragma omp parallel for schedule(static) if (N * C * L > 32768)
    for (int64_t c = 0; c < C; ++c) {
      double sum = 0;
      for (int64_t n = 0; n < N; ++n) {
        const T* row = src + (n * C + c) * L;
#pragma omp simd reduction(+ : sum)
        for (int64_t j = 0; j < L; ++j) sum += static_cast<double>(row[j]);
      }
      const double mu = count > 0 ? sum / count : 0.0;
      double sq = 0;
      for (int64_t n = 0; n < N; ++n) {
        const T* row = src + (n * C + c) * L;
#pragma omp simd reduction(+ : sq)
        for (int64_t j = 0; j < L; ++j) {
          const double d = static_cast<double>(row[j]) - mu;
          sq += d * d;
        }
      }
      const double var = count > 0 ? sq / count : 0.0;
      const T mu_t = static_cast<T>(mu);
      const T rs_t = static_cast<T>(1.0 / std::sqrt(var + eps));
      const T shift = b ? b[c] : T(0);
      for (int64_t n = 0; n < N; ++n) {
        const T* row = src + (n * C + c) * L;
        T* orow = dst + (n * C + c) * L;
        if (w) {
#pragma omp simd
          for (int64_t j = 0; j < L; ++j) orow[j] = ((row[j] - mu_t) * rs_t) * w[c] + shift;
        } else {
#pragma omp simd
          for (int64_t j = 0; j < L; ++j) orow[j] = (row[j] - mu_t) * rs_t + shift;
        }
      }
      mean_p[c] = mu_t;
      invstd_p[c] = rs_t;
      var_p[c] = static_cast<T>(var);
    }
  }
  return {out, mean_out, invstd_out, var_out};
}

// The batch_norm backward (no graph): g, x (N, C, L), weight (C,) or None, mean and invstd
// (C,) -> (gx, g_weight, g_bias) with per-channel sums in double.
template <typename T>
std::tuple<py::array_t<T>, py::array_t<T>, py::array_t<T>> batch_norm_bwd(
    carray<T> g, carray<T> x, py::object weight, carray<T> mean, carray<T> invstd, int64_t N,
    int64_t C, int64_t L) {
  require(N * C * L == x.size() && g.size() == x.size(),
          "[batch_norm_backward] N x C x L does not match the arrays");
  require(mean.size() == C && invstd.size() == C,
          "[batch_norm_backward] statistics size does not match the channels");
  const T* w = nullptr;
  carray<T> warr;
  if (!weight.is_none()) {
    warr = weight.cast<carray<T>>();
    require(warr.size() == C, "[batch_norm_backward] weight size does not match the channels");
    w = warr.data();
  }
  py::array_t<T> gx(x.request().shape);
  py::array_t<T> gw(C), gb(C);
  const T* gp = g.data();
  const T* xp = x.data();
  const T* mp = mean.data();
  const T* ip = invstd.data();
  T* gxp = gx.mutable_data();
  T* gwp = gw.mutable_data();
  T* gbp = gb.mutable_data();
  const double count = static_cast<double>(N * L);
  {
    py::gil_scoped_release release;
#pragma omp parallel for schedule(static) if (N * C * L > 32768)
    for (int64_t c = 0; c < C; ++c) {
      const T mu = mp[c], rs = ip[c];
      double sg = 0, sgx = 0;
      for (int64_t n = 0; n < N; ++n) {
        const T* grow = gp + (n * C + c) * L;
        const T* xrow = xp + (n * C + c) * L;
#pragma omp simd reduction(+ : sg, sgx)
        for (int64_t j = 0; j < L; ++j) {
          sg += static_cast<double>(grow[j]);
          sgx += static_cast<double>(grow[j]) * static_cast<double>(xrow[j] - mu);
        }
      }
      const double wc = w ? static_cast<double>(w[c]) : 1.0;
      const T a = static_cast<T>(rs * wc);                              // invstd * w
      const T mg = static_cast<T>(count > 0 ? sg / count : 0.0);       // mean(g)
      const T k = static_cast<T>(count > 0 ? sgx * rs / count : 0.0);  // mean(g * xhat)
      for (int64_t n = 0; n < N; ++n) {
        const T* grow = gp + (n * C + c) * L;
        const T* xrow = xp + (n * C + c) * L;
        T* orow = gxp + (n * C + c) * L;
#pragma omp simd
        for (int64_t j = 0; j < L; ++j) {
          const T xh = (xrow[j] - mu) * rs;
          orow[j] = a * (grow[j] - mg - xh * k);
        }
      }
      gwp[c] = static_cast<T>(sgx * rs);
      gbp[c] = static_cast<T>(sg);
    }
  }
  return {gx, gw, gb};
}

constexpr double kSqrt2OverPi = 0.7978845608028654;  // sqrt(2 / pi)
constexpr double kInvSqrt2 = 0.7071067811865476;
constexpr double kInvSqrt2Pi = 0.3989422804014327;  // 1 / sqrt(2 pi)
constexpr double kCoef = 0.044715;

// out[i] = f(x[i]) over a new array of x's shape, in parallel, without the GIL.
template <typename T, typename F>
py::array_t<T> map1(const carray<T>& x, F f) {
  py::array_t<T> out(x.request().shape);
  const T* src = x.data();
  T* dst = out.mutable_data();
  const int64_t size = x.size();
  py::gil_scoped_release release;
  simd_for(size, [&](int64_t i) { dst[i] = f(src[i]); });
  return out;
}

// out[i] = f(g[i], x[i]): a gradient g times the derivative at x (both read for every i,
// so selects between them vectorize).
template <typename T, typename F>
py::array_t<T> map2(const char* op, const carray<T>& g, const carray<T>& x, F f) {
  require(g.size() == x.size(), std::string("[") + op + "] grad and input sizes differ");
  py::array_t<T> out(x.request().shape);
  const T* gp = g.data();
  const T* xp = x.data();
  T* dst = out.mutable_data();
  const int64_t size = x.size();
  py::gil_scoped_release release;
  simd_for(size, [&](int64_t i) { dst[i] = f(gp[i], xp[i]); });
  return out;
}

template <typename T>
py::array_t<T> gelu_fwd(carray<T> x, bool tanh_approx) {
  const T half = static_cast<T>(0.5);
  const T one = static_cast<T>(1);
  if (tanh_approx) {
    return map1(x, [=](T v) {
      const T inner = static_cast<T>(kSqrt2OverPi) * (v + static_cast<T>(kCoef) * v * v * v);
      return half * v * (one + tanh_fast(inner));
    });
  }
  return map1(x, [=](T v) { return v * half * (one + erf_fast(v * static_cast<T>(kInvSqrt2))); });
}

template <typename T>
py::array_t<T> gelu_bwd(carray<T> g, carray<T> x, bool tanh_approx) {
  const T half = static_cast<T>(0.5);
  const T one = static_cast<T>(1);
  if (tanh_approx) {
    return map2("gelu_backward", g, x, [=](T gv, T v) {
      const T v2 = v * v;
      const T t = tanh_fast(static_cast<T>(kSqrt2OverPi) * (v + static_cast<T>(kCoef) * v2 * v));
      const T dinner = static_cast<T>(kSqrt2OverPi) * (one + static_cast<T>(3 * kCoef) * v2);
      return gv * (half * (one + t) + half * v * (one - t * t) * dinner);
    });
  }
  return map2("gelu_backward", g, x, [=](T gv, T v) {
    const T cdf = half * (one + erf_fast(v * static_cast<T>(kInvSqrt2)));
    const T pdf = static_cast<T>(kInvSqrt2Pi) * exp_fast(-half * v * v);
    return gv * (cdf + v * pdf);
  });
}

// relu as clamp_min(0): NaN and -0.0 pass through (neither compares below zero).
template <typename T>
py::array_t<T> relu_fwd(carray<T> x) {
  return map1(x, [](T v) { return v < T(0) ? T(0) : v; });
}

// The relu gradient from its result: zero where the result is at most zero, else the
// incoming gradient (a NaN result passes the gradient through).
template <typename T>
py::array_t<T> relu_bwd(carray<T> g, carray<T> out) {
  return map2("relu_backward", g, out, [](T gv, T ov) { return ov <= T(0) ? T(0) : gv; });
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
  m.def("batch_norm_f32", &batch_norm_fwd<float>);
  m.def("batch_norm_f64", &batch_norm_fwd<double>);
  m.def("batch_norm_backward_f32", &batch_norm_bwd<float>);
  m.def("batch_norm_backward_f64", &batch_norm_bwd<double>);
  m.def("gelu_f32", &gelu_fwd<float>);
  m.def("gelu_f64", &gelu_fwd<double>);
  m.def("gelu_backward_f32", &gelu_bwd<float>);
  m.def("gelu_backward_f64", &gelu_bwd<double>);
  m.def("relu_f32", &relu_fwd<float>);
  m.def("relu_f64", &relu_fwd<double>);
  m.def("relu_backward_f32", &relu_bwd<float>);
  m.def("relu_backward_f64", &relu_bwd<double>);
  m.def("embedding_backward_f32", &embedding_bwd<float>);
  m.def("embedding_backward_f64", &embedding_bwd<double>);
});

}  // namespace
}  // namespace ember
