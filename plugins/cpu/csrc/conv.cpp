// im2col and col2im for convolutions of up to 3 spatial dims.
// Every array is seen as 3-D spatial (1-D and 2-D convolutions get leading size-1 dims
// with kernel 1, stride 1, padding 0, dilation 1), so one pair of loops serves all three.
//
// Layouts: x (N, C, D, H, W); cols (C * kD * kH * kW, nb * oD * oH * oW) for the samples
// n0 .. n0 + nb: row ((c * kD + kd) * kH + kh) * kW + kw, column n * L + output position,
// so one matrix product per channel group covers the whole chunk of samples.
#include <omp.h>

#include <array>
#include <cstring>
#include <vector>

#include <pybind11/stl.h>

#include "registry.h"

namespace ember {
namespace {

using Dims = std::array<int64_t, 3>;

// Below this many elements a loop runs on one thread (a team costs more than it saves).
constexpr int64_t kParallelWork = 1 << 16;

struct Geometry {
  int64_t C;
  Dims in, k, s, p, d, out;
  int64_t K() const { return k[0] * k[1] * k[2]; }
  int64_t L() const { return out[0] * out[1] * out[2]; }
  int64_t S() const { return in[0] * in[1] * in[2]; }
};

Dims dims3(const std::vector<int64_t>& v, const char* what) {
  require(v.size() == 3, std::string("[conv] expected 3 values for ") + what);
  return {v[0], v[1], v[2]};
}

Geometry geometry(int64_t C, const std::vector<int64_t>& in, const std::vector<int64_t>& k,
                  const std::vector<int64_t>& s, const std::vector<int64_t>& p,
                  const std::vector<int64_t>& d, const std::vector<int64_t>& out) {
  Geometry g{C, dims3(in, "input"), dims3(k, "kernel"), dims3(s, "stride"),
             dims3(p, "padding"), dims3(d, "dilation"), dims3(out, "output")};
  for (int i = 0; i < 3; ++i) {
    require(g.k[i] > 0 && g.s[i] > 0 && g.d[i] > 0 && g.p[i] >= 0 && g.out[i] >= 0,
            "[conv] invalid kernel, stride, dilation, padding or output size");
    require(g.out[i] == 0 || (g.out[i] - 1) * g.s[i] + (g.k[i] - 1) * g.d[i] + 1 <=
                                 g.in[i] + 2 * g.p[i],
            "[conv] output size does not fit the padded input");
  }
  return g;
}

// The output positions ow in [lo, hi) whose input position ow * s + off lies in [0, n).
inline void valid_range(int64_t n, int64_t out, int64_t s, int64_t off, int64_t& lo,
                        int64_t& hi) {
  lo = off >= 0 ? 0 : (-off + s - 1) / s;
  hi = n - off <= 0 ? 0 : (n - off + s - 1) / s;
  if (hi > out) hi = out;
  if (lo > hi) lo = hi;
}

// One row of cols: input channel c and kernel offset (kd, kh, kw), for one sample.
template <typename T>
void fill_row(const T* xc, T* row, const Geometry& g, int64_t kd, int64_t kh, int64_t kw) {
  const int64_t off = kw * g.d[2] - g.p[2];
  int64_t lo, hi;
  valid_range(g.in[2], g.out[2], g.s[2], off, lo, hi);
  for (int64_t od = 0; od < g.out[0]; ++od) {
    const int64_t id = od * g.s[0] - g.p[0] + kd * g.d[0];
    for (int64_t oh = 0; oh < g.out[1]; ++oh) {
      const int64_t ih = oh * g.s[1] - g.p[1] + kh * g.d[1];
      T* dst = row + (od * g.out[1] + oh) * g.out[2];
      if (id < 0 || id >= g.in[0] || ih < 0 || ih >= g.in[1]) {
        std::memset(dst, 0, sizeof(T) * g.out[2]);
        continue;
      }
      const T* src = xc + (id * g.in[1] + ih) * g.in[2] + off;
      for (int64_t ow = 0; ow < lo; ++ow) dst[ow] = T(0);
      if (g.s[2] == 1) {
        std::memcpy(dst + lo, src + lo, sizeof(T) * (hi - lo));
      } else {
        for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow * g.s[2]];
      }
      for (int64_t ow = hi; ow < g.out[2]; ++ow) dst[ow] = T(0);
    }
  }
}

// The reverse of fill_row: add one row of cols into the input channel it came from.
template <typename T>
void add_row(T* xc, const T* row, const Geometry& g, int64_t kd, int64_t kh, int64_t kw) {
  const int64_t off = kw * g.d[2] - g.p[2];
  int64_t lo, hi;
  valid_range(g.in[2], g.out[2], g.s[2], off, lo, hi);
  for (int64_t od = 0; od < g.out[0]; ++od) {
    const int64_t id = od * g.s[0] - g.p[0] + kd * g.d[0];
    if (id < 0 || id >= g.in[0]) continue;
    for (int64_t oh = 0; oh < g.out[1]; ++oh) {
      const int64_t ih = oh * g.s[1] - g.p[1] + kh * g.d[1];
      if (ih < 0 || ih >= g.in[1]) continue;
      const T* src = row + (od * g.out[1] + oh) * g.out[2];
      T* dst = xc + (id * g.in[1] + ih) * g.in[2] + off;
      if (g.s[2] == 1) {
        for (int64_t ow = lo; ow < hi; ++ow) dst[ow] += src[ow];
      } else {
        for (int64_t ow = lo; ow < hi; ++ow) dst[ow * g.s[2]] += src[ow];
      }
    }
  }
}

template <typename T>
py::array_t<T> im2col(carray<T> x, int64_t n0, int64_t nb, std::vector<int64_t> k,
                      std::vector<int64_t> s, std::vector<int64_t> p, std::vector<int64_t> d,
                      std::vector<int64_t> out, int threads) {
  require(x.ndim() == 5, "[im2col] expected a 5-D input (N, C, D, H, W)");
  require(n0 >= 0 && nb >= 0 && n0 + nb <= x.shape(0), "[im2col] sample range out of bounds");
  std::vector<int64_t> in{x.shape(2), x.shape(3), x.shape(4)};
  const Geometry g = geometry(x.shape(1), in, k, s, p, d, out);
  const int64_t K = g.K(), L = g.L(), S = g.S(), C = g.C;
  py::array_t<T> cols({C * K, nb * L});
  const T* src = x.data();
  T* dst = cols.mutable_data();
  py::gil_scoped_release release;
  const int nt = threads > 0 ? threads : omp_get_max_threads();
  const bool parallel = nt > 1 && nb * C * K * L >= kParallelWork;
#pragma omp parallel for collapse(2) schedule(static) num_threads(nt) if (parallel)
  for (int64_t n = 0; n < nb; ++n) {
    for (int64_t r = 0; r < C * K; ++r) {
      const int64_t c = r / K, kk = r % K;
      const int64_t kd = kk / (g.k[1] * g.k[2]), kh = (kk / g.k[2]) % g.k[1], kw = kk % g.k[2];
      fill_row(src + ((n0 + n) * C + c) * S, dst + r * nb * L + n * L, g, kd, kh, kw);
    }
  }
  return cols;
}

// ``threads``: OpenMP threads to use (0: the pool's default). The convolution kernels pass
// 1: their matrix products run on the BLAS's own thread pool, and two pools spinning on
// the same cores slow both down.

// Adds cols (C*K, nb*L) into dx[n0 : n0 + nb] (dx is (N, C, D, H, W), written in place).
template <typename T>
void col2im(carray<T> cols, carray<T> dx, int64_t n0, std::vector<int64_t> k,
            std::vector<int64_t> s, std::vector<int64_t> p, std::vector<int64_t> d,
            std::vector<int64_t> out, int threads) {
  require(dx.ndim() == 5, "[col2im] expected a 5-D output (N, C, D, H, W)");
  require(dx.writeable(), "[col2im] the output array is read-only");
  std::vector<int64_t> in{dx.shape(2), dx.shape(3), dx.shape(4)};
  const Geometry g = geometry(dx.shape(1), in, k, s, p, d, out);
  const int64_t K = g.K(), L = g.L(), S = g.S(), C = g.C;
  require(cols.ndim() == 2 && cols.shape(0) == C * K && L > 0 && cols.shape(1) % L == 0,
          "[col2im] cols shape does not match the geometry");
  const int64_t nb = cols.shape(1) / L;
  require(n0 >= 0 && n0 + nb <= dx.shape(0), "[col2im] sample range out of bounds");
  const T* src = cols.data();
  T* dst = dx.mutable_data();
  py::gil_scoped_release release;
  const int nt = threads > 0 ? threads : omp_get_max_threads();
  const bool parallel = nt > 1 && nb * C * K * L >= kParallelWork;
#pragma omp parallel for collapse(2) schedule(static) num_threads(nt) if (parallel)
  for (int64_t n = 0; n < nb; ++n) {
    for (int64_t c = 0; c < C; ++c) {
      T* xc = dst + ((n0 + n) * C + c) * S;
      for (int64_t kk = 0; kk < K; ++kk) {
        const int64_t kd = kk / (g.k[1] * g.k[2]), kh = (kk / g.k[2]) % g.k[1];
        const int64_t kw = kk % g.k[2];
        add_row(xc, src + (c * K + kk) * nb * L + n * L, g, kd, kh, kw);
      }
    }
  }
}

Register reg([](py::module_& m) {
  m.def("im2col_f32", &im2col<float>);
  m.def("im2col_f64", &im2col<double>);
  m.def("col2im_f32", &col2im<float>);
  m.def("col2im_f64", &col2im<double>);
});

}  // namespace
}  // namespace ember
