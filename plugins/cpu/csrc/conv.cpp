// im2col and col2im for convolutions of up to 3 spatial dims.
// Every array is seen as 3-D spatial (1-D and 2-D convolutions get leading size-1 dims
// with kernel 1, stride 1, padding 0, dilation 1), so one pair of loops serves all three.
//
// Layouts: x (N, C, D, H, W); cols (C * kD * kH * kW, nb * oD * oH * oW) for the samples
// n0 .. n0 + nb: row ((c * kD + kd) * kH + kh) * kW + kw, column n * L + output position,
// so one matrix product per channel group covers the whole chunk of samples.
#include <omp.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include <pybind11/stl.h>

#include "blas.h"
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

// Output positions are taken a row (the last spatial dim) at a time: output row r is
// (od, oh) = (r / oH, r % oH), and holds oW positions.
inline int64_t out_rows(const Geometry& g) { return g.out[0] * g.out[1]; }

// One row of cols, for one sample, input channel c and kernel offset (kd, kh, kw): output
// rows r0 .. r1 of the windows (the whole row is r0 = 0, r1 = out_rows).
template <typename T>
void fill_row(const T* xc, T* row, const Geometry& g, int64_t kd, int64_t kh, int64_t kw,
              int64_t r0, int64_t r1) {
  const int64_t off = kw * g.d[2] - g.p[2];
  int64_t lo, hi;
  valid_range(g.in[2], g.out[2], g.s[2], off, lo, hi);
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t od = r / g.out[1], oh = r % g.out[1];
    const int64_t id = od * g.s[0] - g.p[0] + kd * g.d[0];
    const int64_t ih = oh * g.s[1] - g.p[1] + kh * g.d[1];
    T* dst = row + (r - r0) * g.out[2];
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

// The reverse of fill_row: add one row of cols into the input channel it came from.
template <typename T>
void add_row(T* xc, const T* row, const Geometry& g, int64_t kd, int64_t kh, int64_t kw,
             int64_t r0, int64_t r1) {
  const int64_t off = kw * g.d[2] - g.p[2];
  int64_t lo, hi;
  valid_range(g.in[2], g.out[2], g.s[2], off, lo, hi);
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t od = r / g.out[1], oh = r % g.out[1];
    const int64_t id = od * g.s[0] - g.p[0] + kd * g.d[0];
    const int64_t ih = oh * g.s[1] - g.p[1] + kh * g.d[1];
    if (id < 0 || id >= g.in[0] || ih < 0 || ih >= g.in[1]) continue;
    const T* src = row + (r - r0) * g.out[2];
    T* dst = xc + (id * g.in[1] + ih) * g.in[2] + off;
    if (g.s[2] == 1) {
      for (int64_t ow = lo; ow < hi; ++ow) dst[ow] += src[ow];
    } else {
      for (int64_t ow = lo; ow < hi; ++ow) dst[ow * g.s[2]] += src[ow];
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
      fill_row(src + ((n0 + n) * C + c) * S, dst + r * nb * L + n * L, g, kd, kh, kw, 0,
               out_rows(g));
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
        add_row(xc, src + (c * K + kk) * nb * L + n * L, g, kd, kh, kw, 0, out_rows(g));
      }
    }
  }
}


// ---- whole convolutions ------------------------------------------------------------------
//
// Forward, input gradient and weight gradient in one call each. Samples are split into
// blocks of output rows; a thread lays out the windows of one block (a column matrix small
// enough to stay in its core's cache) and multiplies it at once with the BLAS's gemm, run
// single-threaded: the parallelism is over blocks and samples. A 1x1 convolution with stride
// 1 and no padding multiplies the input itself.

// Elements of one block's column matrix (256 KiB in float32).
constexpr int64_t kBlockElems = 1 << 16;

struct Conv {
  Geometry g;
  int64_t N, cout, groups, cg, og, gk;  // gk: rows of one group's column matrix
  int64_t rows_per_block, blocks;        // output rows in a block, blocks per sample
  bool pointwise;

  int64_t L() const { return g.L(); }
  // Output rows r0 .. r1 of block b.
  int64_t r0(int64_t b) const { return b * rows_per_block; }
  int64_t r1(int64_t b) const { return std::min(out_rows(g), (b + 1) * rows_per_block); }
  // Elements of a thread's buffer for one block's column matrix.
  int64_t buf_elems() const { return pointwise ? 0 : g.C * g.K() * rows_per_block * g.out[2]; }
};

// Task t of a loop over (sample, block): sample n, output rows r0 .. r1, which start at
// output position l0 and span width positions.
struct Task {
  int64_t n, r0, r1, l0, width;
  Task(const Conv& cv, int64_t t)
      : n(t / cv.blocks), r0(cv.r0(t % cv.blocks)), r1(cv.r1(t % cv.blocks)),
        l0(r0 * cv.g.out[2]), width((r1 - r0) * cv.g.out[2]) {}
};

Conv plan(int64_t N, int64_t C, const std::vector<int64_t>& in, int64_t cout, int64_t gk,
          int64_t groups, const std::vector<int64_t>& k, const std::vector<int64_t>& s,
          const std::vector<int64_t>& p, const std::vector<int64_t>& d,
          const std::vector<int64_t>& out) {
  require(groups > 0 && C % groups == 0 && cout % groups == 0,
          "[conv] groups must divide the input and output channels");
  Conv cv{geometry(C, in, k, s, p, d, out), N, cout, groups, C / groups, cout / groups, gk,
          1, 0, false};
  require(gk == cv.cg * cv.g.K(), "[conv] weight shape does not match the geometry");
  const int64_t total = out_rows(cv.g);
  const int64_t per_row = std::max<int64_t>(1, C * cv.g.K() * cv.g.out[2]);
  cv.rows_per_block = std::clamp<int64_t>(kBlockElems / per_row, 1, std::max<int64_t>(total, 1));
  cv.blocks = total == 0 ? 0 : (total + cv.rows_per_block - 1) / cv.rows_per_block;
  const Geometry& g = cv.g;
  cv.pointwise = g.K() == 1 && g.s == Dims{1, 1, 1} && g.p == Dims{0, 0, 0};
  return cv;
}

// fn(c, kk, kd, kh, kw) for every row of a column matrix: input channel c, kernel offset
// kk = (kd * kH + kh) * kW + kw.
template <typename F>
void each_cols_row(const Geometry& g, F fn) {
  const int64_t K = g.K();
  for (int64_t c = 0; c < g.C; ++c) {
    for (int64_t kk = 0; kk < K; ++kk) {
      fn(c, kk, kk / (g.k[1] * g.k[2]), (kk / g.k[2]) % g.k[1], kk % g.k[2]);
    }
  }
}

// Windows of one sample xn (C, D, H, W), output rows r0 .. r1: cols (C*K, (r1-r0)*oW).
template <typename T>
void fill_block(const T* xn, T* cols, const Geometry& g, int64_t r0, int64_t r1) {
  const int64_t K = g.K(), S = g.S(), width = (r1 - r0) * g.out[2];
  each_cols_row(g, [&](int64_t c, int64_t kk, int64_t kd, int64_t kh, int64_t kw) {
    fill_row(xn + c * S, cols + (c * K + kk) * width, g, kd, kh, kw, r0, r1);
  });
}

// The reverse of fill_block: add the columns into the sample's gradient dxn.
template <typename T>
void add_block(T* dxn, const T* cols, const Geometry& g, int64_t r0, int64_t r1) {
  const int64_t K = g.K(), S = g.S(), width = (r1 - r0) * g.out[2];
  each_cols_row(g, [&](int64_t c, int64_t kk, int64_t kd, int64_t kh, int64_t kw) {
    add_row(dxn + c * S, cols + (c * K + kk) * width, g, kd, kh, kw, r0, r1);
  });
}

// The column matrix of output rows r0 .. r1 of sample xn, and its row stride `ld`: the
// windows laid out in buf, or (pointwise) the input rows themselves.
template <typename T>
const T* block_cols(const Conv& cv, const T* xn, T* buf, int64_t r0, int64_t r1, int64_t& ld) {
  if (cv.pointwise) {
    ld = cv.L();
    return xn + r0 * cv.g.out[2];
  }
  fill_block(xn, buf, cv.g, r0, r1);
  ld = (r1 - r0) * cv.g.out[2];
  return buf;
}

std::vector<int64_t> spatial(const py::array& a) { return {a.shape(2), a.shape(3), a.shape(4)}; }

// y (N, Cout, L) = conv(x, w) + bias for x (N, C, D, H, W), w (Cout, C/groups * K).
template <typename T>
py::array_t<T> conv_forward(carray<T> x, carray<T> w, py::object bias, std::vector<int64_t> k,
                            std::vector<int64_t> s, std::vector<int64_t> p,
                            std::vector<int64_t> d, std::vector<int64_t> out, int64_t groups) {
  require(blas::available(), "[conv] no BLAS was handed over");
  require(x.ndim() == 5 && w.ndim() == 2, "[conv] expected x (N, C, D, H, W), w (Cout, C*K)");
  const Conv cv = plan(x.shape(0), x.shape(1), spatial(x), w.shape(0), w.shape(1), groups,
                       k, s, p, d, out);
  const T* bp = nullptr;
  carray<T> b;
  if (!bias.is_none()) {
    b = bias.cast<carray<T>>();
    require(b.size() == cv.cout, "[conv] bias size does not match the output channels");
    bp = b.data();
  }
  const int64_t L = cv.L(), S = cv.g.S(), C = cv.g.C;
  py::array_t<T> y({cv.N, cv.cout, L});
  const T* xp = x.data();
  const T* wp = w.data();
  T* yp = y.mutable_data();
  py::gil_scoped_release release;
  const int64_t tasks = cv.N * cv.blocks;
  const int nt = blas::team(tasks, cv.N * cv.cout * cv.gk * L);
  blas::SingleThreaded limit(nt > 1);
#pragma omp parallel num_threads(nt)
  {
    std::vector<T> buf(cv.buf_elems());
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tasks; ++t) {
      const Task b(cv, t);
      int64_t ldb;
      const T* cols = block_cols(cv, xp + b.n * C * S, buf.data(), b.r0, b.r1, ldb);
      for (int64_t grp = 0; grp < cv.groups; ++grp) {
        T* yg = yp + (b.n * cv.cout + grp * cv.og) * L + b.l0;
        if (bp != nullptr) {
          for (int64_t o = 0; o < cv.og; ++o)
            std::fill(yg + o * L, yg + o * L + b.width, bp[grp * cv.og + o]);
        }
        blas::gemm(false, false, cv.og, b.width, cv.gk, wp + grp * cv.og * cv.gk, cv.gk,
                   cols + grp * cv.gk * ldb, ldb, bp != nullptr ? T(1) : T(0), yg, L);
      }
    }
  }
  return y;
}

// dx (N, C, D, H, W) of y = conv(x, w), from g (N, Cout, L) and w (Cout, C/groups * K).
template <typename T>
py::array_t<T> conv_input_grad(carray<T> gy, carray<T> w, std::vector<int64_t> in_size,
                               std::vector<int64_t> k, std::vector<int64_t> s,
                               std::vector<int64_t> p, std::vector<int64_t> d,
                               std::vector<int64_t> out, int64_t groups) {
  require(blas::available(), "[conv] no BLAS was handed over");
  require(gy.ndim() == 3 && w.ndim() == 2 && in_size.size() == 3,
          "[conv] expected g (N, Cout, L), w (Cout, C*K) and 3 input sizes");
  const int64_t cg = groups > 0 ? w.shape(1) / std::max<int64_t>(1, k[0] * k[1] * k[2]) : 0;
  const Conv cv = plan(gy.shape(0), cg * groups, in_size, w.shape(0), w.shape(1), groups, k, s,
                       p, d, out);
  const int64_t L = cv.L(), S = cv.g.S(), C = cv.g.C;
  require(gy.shape(1) == cv.cout && gy.shape(2) == L, "[conv] gradient shape does not match");
  py::array_t<T> dx({cv.N, C, cv.g.in[0], cv.g.in[1], cv.g.in[2]});
  const T* gp = gy.data();
  const T* wp = w.data();
  T* dp = dx.mutable_data();
  py::gil_scoped_release release;
  std::fill(dp, dp + cv.N * C * S, T(0));
  const int nt = blas::team(cv.N, cv.N * cv.cout * cv.gk * L);
  blas::SingleThreaded limit(nt > 1);
#pragma omp parallel num_threads(nt)
  {
    std::vector<T> buf(cv.buf_elems());
#pragma omp for schedule(static)
    for (int64_t n = 0; n < cv.N; ++n) {
      for (int64_t blk = 0; blk < cv.blocks; ++blk) {
        const int64_t r0 = cv.r0(blk), r1 = cv.r1(blk);
        const int64_t l0 = r0 * cv.g.out[2], width = (r1 - r0) * cv.g.out[2];
        for (int64_t grp = 0; grp < cv.groups; ++grp) {
          const T* wg = wp + grp * cv.og * cv.gk;
          const T* gg = gp + (n * cv.cout + grp * cv.og) * L + l0;
          if (cv.pointwise) {  // straight into dx, whose rows are the columns
            blas::gemm(true, false, cv.gk, width, cv.og, wg, cv.gk, gg, L, T(1),
                       dp + (n * C + grp * cv.cg) * S + l0, L);
          } else {
            blas::gemm(true, false, cv.gk, width, cv.og, wg, cv.gk, gg, L, T(0),
                       buf.data() + grp * cv.gk * width, width);
          }
        }
        if (!cv.pointwise) add_block(dp + n * C * S, buf.data(), cv.g, r0, r1);
      }
    }
  }
  return dx;
}

// dw (Cout, C/groups * K) of y = conv(x, w), from x (N, C, D, H, W) and g (N, Cout, L).
template <typename T>
py::array_t<T> conv_weight_grad(carray<T> x, carray<T> gy, std::vector<int64_t> k,
                                std::vector<int64_t> s, std::vector<int64_t> p,
                                std::vector<int64_t> d, std::vector<int64_t> out,
                                int64_t groups) {
  require(blas::available(), "[conv] no BLAS was handed over");
  require(x.ndim() == 5 && gy.ndim() == 3, "[conv] expected x (N, C, D, H, W), g (N, Cout, L)");
  require(groups > 0 && x.shape(1) % groups == 0, "[conv] groups must divide the channels");
  const int64_t gk = x.shape(1) / groups * k[0] * k[1] * k[2];
  const Conv cv = plan(x.shape(0), x.shape(1), spatial(x), gy.shape(1), gk, groups, k, s, p, d,
                       out);
  const int64_t L = cv.L(), S = cv.g.S(), C = cv.g.C;
  require(gy.shape(0) == cv.N && gy.shape(2) == L, "[conv] gradient shape does not match");
  py::array_t<T> dw({cv.cout, gk});
  const T* xp = x.data();
  const T* gp = gy.data();
  T* dwp = dw.mutable_data();
  py::gil_scoped_release release;
  const int64_t tasks = cv.N * cv.blocks, size = cv.cout * gk;
  std::fill(dwp, dwp + size, T(0));
  const int nt = blas::team(tasks, cv.N * cv.cout * gk * L);
  blas::SingleThreaded limit(nt > 1);
  // thread 0 accumulates into dw itself, the others into their own sums, added at the end
  std::vector<std::vector<T>> sums(nt > 1 ? nt - 1 : 0, std::vector<T>(size, T(0)));
#pragma omp parallel num_threads(nt)
  {
    const int tid = omp_get_thread_num();
    T* acc = tid == 0 ? dwp : sums[tid - 1].data();
    std::vector<T> buf(cv.buf_elems());
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tasks; ++t) {
      const Task b(cv, t);
      int64_t ldb;
      const T* cols = block_cols(cv, xp + b.n * C * S, buf.data(), b.r0, b.r1, ldb);
      for (int64_t grp = 0; grp < cv.groups; ++grp) {
        const T* gg = gp + (b.n * cv.cout + grp * cv.og) * L + b.l0;
        blas::gemm(false, true, cv.og, gk, b.width, gg, L, cols + grp * gk * ldb, ldb, T(1),
                   acc + grp * cv.og * gk, gk);
      }
    }
  }
  for (const auto& part : sums) {
    for (int64_t i = 0; i < size; ++i) dwp[i] += part[i];
  }
  return dw;
}

Register reg([](py::module_& m) {
  m.def("im2col_f32", &im2col<float>);
  m.def("im2col_f64", &im2col<double>);
  m.def("col2im_f32", &col2im<float>);
  m.def("col2im_f64", &col2im<double>);
  m.def("conv_forward_f32", &conv_forward<float>);
  m.def("conv_forward_f64", &conv_forward<double>);
  m.def("conv_input_grad_f32", &conv_input_grad<float>);
  m.def("conv_input_grad_f64", &conv_input_grad<double>);
  m.def("conv_weight_grad_f32", &conv_weight_grad<float>);
  m.def("conv_weight_grad_f64", &conv_weight_grad<double>);
});

}  // namespace
}  // namespace ember
