// Max and average pooling over up to 3 spatial dims, and their backward passes.
//
// Every pooling flavour (regular, ceil_mode, padded, dilated, adaptive, fractional) is
// described by one window table per spatial dim: table d has shape (O_d, K_d) and row o
// lists the input coordinates of output position o's window along that dim, -1 for a
// position outside the input (padding or a shorter adaptive window). Arrays are seen as
// (planes, D, H, W); 1-D and 2-D pooling use trivial tables {{0}} for the leading dims.
#include <omp.h>

#include <cmath>
#include <limits>
#include <tuple>

#include "registry.h"

namespace ember {
namespace {

using itable = py::array_t<int64_t, py::array::c_style>;

// Below this many element visits a loop runs on one thread: waking a team costs more than
// it saves, and on a busy machine a descheduled team member stalls the whole call.
constexpr int64_t kParallelWork = 1 << 16;
using dtable = py::array_t<double, py::array::c_style>;

struct Tables {
  const int64_t* t[3];
  int64_t O[3], K[3];
};

Tables tables(const itable& a, const itable& b, const itable& c) {
  Tables out{};
  const itable* all[3] = {&a, &b, &c};
  for (int i = 0; i < 3; ++i) {
    require(all[i]->ndim() == 2, "[pool] window tables must be 2-D (O, K)");
    out.t[i] = all[i]->data();
    out.O[i] = all[i]->shape(0);
    out.K[i] = all[i]->shape(1);
  }
  return out;
}

void check_input(int64_t ndim, const Tables& tb, const int64_t* in) {
  require(ndim == 4, "[pool] expected a 4-D array (planes, D, H, W)");
  for (int i = 0; i < 3; ++i) {
    for (int64_t j = 0; j < tb.O[i] * tb.K[i]; ++j) {
      require(tb.t[i][j] >= -1 && tb.t[i][j] < in[i], "[pool] window coordinate out of range");
    }
  }
}

// The common 2-D case: windows 2x2 at stride 2 without padding or dilation (tables
// {{0}}, {{0, 1}, {2, 3}, ...} and likewise for W). Same scan order and NaN rule as the
// generic loop below, without the table look-ups.
bool is_2x2_stride2(const Tables& tb, const int64_t* in) {
  if (in[0] != 1 || tb.O[0] != 1 || tb.K[0] != 1 || tb.t[0][0] != 0) return false;
  for (int i = 1; i < 3; ++i) {
    if (tb.K[i] != 2) return false;
    for (int64_t o = 0; o < tb.O[i]; ++o) {
      if (tb.t[i][2 * o] != 2 * o || tb.t[i][2 * o + 1] != 2 * o + 1) return false;
    }
  }
  return true;
}

template <typename T>
void max_pool_2x2(const T* src, T* dst, int64_t* ind, int64_t P, int64_t H, int64_t W,
                  int64_t OH, int64_t OW, bool parallel) {
  const int64_t S = H * W, L = OH * OW;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t p = 0; p < P; ++p) {
    const T* plane = src + p * S;
    T* out = dst + p * L;
    int64_t* oi = ind + p * L;
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t r0 = 2 * oh * W, r1 = r0 + W;
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t i00 = r0 + 2 * ow;
        const int64_t cand[4] = {i00, i00 + 1, r1 + 2 * ow, r1 + 2 * ow + 1};
        T best = plane[i00];
        int64_t best_i = i00;
        for (int k = 1; k < 4; ++k) {
          const T v = plane[cand[k]];
          if (v > best || std::isnan(v)) {  // NaN wins (the last one), as in the generic loop
            best = v;
            best_i = cand[k];
          }
        }
        out[oh * OW + ow] = best;
        oi[oh * OW + ow] = best_i;
      }
    }
  }
}

template <typename T>
std::tuple<py::array_t<T>, py::array_t<int64_t>> max_pool(carray<T> x, itable t0, itable t1,
                                                           itable t2) {
  const Tables tb = tables(t0, t1, t2);
  const int64_t in[3] = {x.ndim() == 4 ? x.shape(1) : 0, x.ndim() == 4 ? x.shape(2) : 0,
                         x.ndim() == 4 ? x.shape(3) : 0};
  check_input(x.ndim(), tb, in);
  const int64_t P = x.shape(0), S = in[0] * in[1] * in[2];
  const int64_t L = tb.O[0] * tb.O[1] * tb.O[2];
  py::array_t<T> out({P, tb.O[0], tb.O[1], tb.O[2]});
  py::array_t<int64_t> idx({P, tb.O[0], tb.O[1], tb.O[2]});
  const T* src = x.data();
  T* dst = out.mutable_data();
  int64_t* ind = idx.mutable_data();
  const bool parallel = P * L * tb.K[0] * tb.K[1] * tb.K[2] >= kParallelWork;
  if (is_2x2_stride2(tb, in)) {
    py::gil_scoped_release release;
    max_pool_2x2<T>(src, dst, ind, P, in[1], in[2], tb.O[1], tb.O[2], parallel);
    return {out, idx};
  }
  py::gil_scoped_release release;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t p = 0; p < P; ++p) {
    const T* plane = src + p * S;
    for (int64_t od = 0; od < tb.O[0]; ++od) {
      for (int64_t oh = 0; oh < tb.O[1]; ++oh) {
        for (int64_t ow = 0; ow < tb.O[2]; ++ow) {
          T best = -std::numeric_limits<T>::infinity();
          int64_t best_i = -1;
          for (int64_t kd = 0; kd < tb.K[0]; ++kd) {
            const int64_t id = tb.t[0][od * tb.K[0] + kd];
            if (id < 0) continue;
            for (int64_t kh = 0; kh < tb.K[1]; ++kh) {
              const int64_t ih = tb.t[1][oh * tb.K[1] + kh];
              if (ih < 0) continue;
              for (int64_t kw = 0; kw < tb.K[2]; ++kw) {
                const int64_t iw = tb.t[2][ow * tb.K[2] + kw];
                if (iw < 0) continue;
                const int64_t i = (id * in[1] + ih) * in[2] + iw;
                const T v = plane[i];
                if (best_i < 0) best_i = i;
                if (v > best || std::isnan(v)) {  // NaN wins, as in torch
                  best = v;
                  best_i = i;
                }
              }
            }
          }
          const int64_t o = p * L + (od * tb.O[1] + oh) * tb.O[2] + ow;
          dst[o] = best;
          ind[o] = best_i < 0 ? 0 : best_i;
        }
      }
    }
  }
  return {out, idx};
}

// dx[p, idx[p, l]] += g[p, l]: the gradient of max pooling (and of any gather by index).
template <typename T>
py::array_t<T> max_pool_backward(carray<T> g, py::array_t<int64_t, py::array::c_style> idx,
                                 int64_t S) {
  require(g.ndim() == 2 && idx.ndim() == 2 && g.shape(0) == idx.shape(0) &&
              g.shape(1) == idx.shape(1),
          "[max_pool_backward] expected gradient and indices of one shape (planes, L)");
  const int64_t P = g.shape(0), L = g.shape(1);
  const int64_t* ind = idx.data();
  for (int64_t j = 0; j < P * L; ++j) {
    require(ind[j] >= 0 && ind[j] < S, "[max_pool_backward] index out of range");
  }
  py::array_t<T> dx({P, S});
  const T* src = g.data();
  T* dst = dx.mutable_data();
  const bool parallel = P * (S + L) >= kParallelWork;
  py::gil_scoped_release release;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t p = 0; p < P; ++p) {
    T* plane = dst + p * S;
    for (int64_t i = 0; i < S; ++i) plane[i] = T(0);
    for (int64_t l = 0; l < L; ++l) plane[ind[p * L + l]] += src[p * L + l];
  }
  return dx;
}

// max_pool_backward for 2x2 windows at stride 2 (g and idx (P, OH, OW), dx (P, H, W)):
// when every index lies in its own window, the windows do not overlap and each plane is
// written in one pass (the gradient at the index, zeros elsewhere, uncovered rows and
// columns zeroed); otherwise the generic scatter-add.
template <typename T>
py::array_t<T> max_pool_backward_2x2(carray<T> g, py::array_t<int64_t, py::array::c_style> idx,
                                     int64_t H, int64_t W) {
  require(g.ndim() == 3 && idx.ndim() == 3 && g.shape(0) == idx.shape(0) &&
              g.shape(1) == idx.shape(1) && g.shape(2) == idx.shape(2),
          "[max_pool_backward] expected gradient and indices of one shape (planes, OH, OW)");
  const int64_t P = g.shape(0), OH = g.shape(1), OW = g.shape(2), S = H * W, L = OH * OW;
  require(H >= 0 && W >= 0 && 2 * OH <= H && 2 * OW <= W,
          "[max_pool_backward] 2x2 windows do not fit the input size");
  const int64_t* ind = idx.data();
  bool own_window = true;
  for (int64_t p = 0; p < P && own_window; ++p) {
    for (int64_t oh = 0; oh < OH && own_window; ++oh) {
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t i = ind[(p * OH + oh) * OW + ow];
        const int64_t ih = i >= 0 ? i / W : -1, iw = i >= 0 ? i % W : -1;
        if (i < 0 || i >= S || ih / 2 != oh || iw / 2 != ow) {
          own_window = false;
          break;
        }
      }
    }
  }
  if (!own_window) {
    py::array_t<int64_t, py::array::c_style> flat_idx = idx.reshape({P, L});
    return max_pool_backward<T>(g.reshape({P, L}), flat_idx, S).reshape({P, H, W});
  }
  py::array_t<T> dx({P, H, W});
  const T* src = g.data();
  T* dst = dx.mutable_data();
  const bool parallel = P * S >= kParallelWork;
  py::gil_scoped_release release;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t p = 0; p < P; ++p) {
    T* plane = dst + p * S;
    const T* gp = src + p * L;
    const int64_t* ip = ind + p * L;
    for (int64_t oh = 0; oh < OH; ++oh) {
      T* r0 = plane + 2 * oh * W;
      T* r1 = r0 + W;
      for (int64_t ow = 0; ow < OW; ++ow) {
        r0[2 * ow] = T(0);
        r0[2 * ow + 1] = T(0);
        r1[2 * ow] = T(0);
        r1[2 * ow + 1] = T(0);
      }
      for (int64_t w = 2 * OW; w < W; ++w) r0[w] = r1[w] = T(0);
      for (int64_t ow = 0; ow < OW; ++ow) plane[ip[oh * OW + ow]] = gp[oh * OW + ow];
    }
    for (int64_t i = 2 * OH * W; i < S; ++i) plane[i] = T(0);
  }
  return dx;
}

// The divisor of output position (od, oh, ow): a constant override, or the product of the
// per-dim window sizes.
inline double divisor(const double* d0, const double* d1, const double* d2, int64_t od,
                      int64_t oh, int64_t ow, double override_) {
  return override_ > 0 ? override_ : d0[od] * d1[oh] * d2[ow];
}

template <typename T, bool BACKWARD>
void avg_pool_impl(const T* src, T* dst, int64_t P, const int64_t* in, const Tables& tb,
                   const double* d0, const double* d1, const double* d2, double override_) {
  const int64_t S = in[0] * in[1] * in[2];
  const int64_t L = tb.O[0] * tb.O[1] * tb.O[2];
  const bool parallel = P * (L * tb.K[0] * tb.K[1] * tb.K[2] + S) >= kParallelWork;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t p = 0; p < P; ++p) {
    if (BACKWARD) {
      for (int64_t i = 0; i < S; ++i) dst[p * S + i] = T(0);
    }
    for (int64_t od = 0; od < tb.O[0]; ++od) {
      for (int64_t oh = 0; oh < tb.O[1]; ++oh) {
        for (int64_t ow = 0; ow < tb.O[2]; ++ow) {
          const int64_t o = p * L + (od * tb.O[1] + oh) * tb.O[2] + ow;
          const double div = divisor(d0, d1, d2, od, oh, ow, override_);
          const T scale = BACKWARD ? static_cast<T>(src[o] / div) : T(0);
          double acc = 0;
          for (int64_t kd = 0; kd < tb.K[0]; ++kd) {
            const int64_t id = tb.t[0][od * tb.K[0] + kd];
            if (id < 0) continue;
            for (int64_t kh = 0; kh < tb.K[1]; ++kh) {
              const int64_t ih = tb.t[1][oh * tb.K[1] + kh];
              if (ih < 0) continue;
              for (int64_t kw = 0; kw < tb.K[2]; ++kw) {
                const int64_t iw = tb.t[2][ow * tb.K[2] + kw];
                if (iw < 0) continue;
                const int64_t i = p * S + (id * in[1] + ih) * in[2] + iw;
                if (BACKWARD) {
                  dst[i] += scale;
                } else {
                  acc += src[i];
                }
              }
            }
          }
          if (!BACKWARD) dst[o] = static_cast<T>(acc / div);
        }
      }
    }
  }
}

void check_divisors(const Tables& tb, const dtable& d0, const dtable& d1, const dtable& d2) {
  require(d0.size() == tb.O[0] && d1.size() == tb.O[1] && d2.size() == tb.O[2],
          "[avg_pool] one divisor per output position and dim expected");
}

template <typename T>
py::array_t<T> avg_pool(carray<T> x, itable t0, itable t1, itable t2, dtable d0, dtable d1,
                        dtable d2, double override_) {
  const Tables tb = tables(t0, t1, t2);
  const int64_t in[3] = {x.ndim() == 4 ? x.shape(1) : 0, x.ndim() == 4 ? x.shape(2) : 0,
                         x.ndim() == 4 ? x.shape(3) : 0};
  check_input(x.ndim(), tb, in);
  check_divisors(tb, d0, d1, d2);
  const int64_t P = x.shape(0);
  py::array_t<T> out({P, tb.O[0], tb.O[1], tb.O[2]});
  const T* src = x.data();
  T* dst = out.mutable_data();
  const double *p0 = d0.data(), *p1 = d1.data(), *p2 = d2.data();
  py::gil_scoped_release release;
  avg_pool_impl<T, false>(src, dst, P, in, tb, p0, p1, p2, override_);
  return out;
}

template <typename T>
py::array_t<T> avg_pool_backward(carray<T> g, itable t0, itable t1, itable t2, dtable d0,
                                 dtable d1, dtable d2, double override_, int64_t D, int64_t H,
                                 int64_t W) {
  const Tables tb = tables(t0, t1, t2);
  const int64_t in[3] = {D, H, W};
  check_input(g.ndim(), tb, in);
  check_divisors(tb, d0, d1, d2);
  require(g.shape(1) == tb.O[0] && g.shape(2) == tb.O[1] && g.shape(3) == tb.O[2],
          "[avg_pool_backward] gradient shape does not match the window tables");
  const int64_t P = g.shape(0);
  py::array_t<T> dx({P, D, H, W});
  const T* src = g.data();
  T* dst = dx.mutable_data();
  const double *p0 = d0.data(), *p1 = d1.data(), *p2 = d2.data();
  py::gil_scoped_release release;
  avg_pool_impl<T, true>(src, dst, P, in, tb, p0, p1, p2, override_);
  return dx;
}

Register reg([](py::module_& m) {
  m.def("max_pool_f32", &max_pool<float>);
  m.def("max_pool_f64", &max_pool<double>);
  m.def("max_pool_backward_f32", &max_pool_backward<float>);
  m.def("max_pool_backward_f64", &max_pool_backward<double>);
  m.def("max_pool_backward_2x2_f32", &max_pool_backward_2x2<float>);
  m.def("max_pool_backward_2x2_f64", &max_pool_backward_2x2<double>);
  m.def("avg_pool_f32", &avg_pool<float>);
  m.def("avg_pool_f64", &avg_pool<double>);
  m.def("avg_pool_backward_f32", &avg_pool_backward<float>);
  m.def("avg_pool_backward_f64", &avg_pool_backward<double>);
});

}  // namespace
}  // namespace ember
