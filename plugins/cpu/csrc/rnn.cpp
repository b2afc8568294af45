// Pointwise parts of one LSTM / GRU step and their gradients, one pass over the rows.
// Gate pre-activations come in two parts (input and hidden products) that are summed here;
// rows are (B, G*H) with the gate blocks side by side: LSTM (i, f, g, o), GRU (r, z, n).
// The backward kernels recompute the activations from the pre-activations. Threads only
// for large steps: a step of a typical RNN is a few microseconds of work, less than the
// cost of waking (and then spinning) an OpenMP team next to the BLAS threads.
#include <omp.h>

#include <cmath>
#include <tuple>

#include "registry.h"

namespace ember {
namespace {

template <typename T>
inline T sigm(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

template <typename T>
void check_rows(const carray<T>& xg, const carray<T>& hg, const carray<T>& s, int64_t gates,
                const char* op) {
  require(xg.ndim() == 2 && hg.ndim() == 2 && s.ndim() == 2,
          std::string("[") + op + "] expected 2-D arrays");
  require(xg.shape(0) == hg.shape(0) && xg.shape(1) == hg.shape(1),
          std::string("[") + op + "] the two gate parts differ in shape");
  require(s.shape(0) == xg.shape(0) && s.shape(1) * gates == xg.shape(1),
          std::string("[") + op + "] state shape does not match the gates");
}

template <typename T>
std::tuple<py::array_t<T>, py::array_t<T>> lstm_fwd(carray<T> xg, carray<T> hg, carray<T> c) {
  check_rows(xg, hg, c, 4, "lstm_gates");
  const int64_t B = c.shape(0), H = c.shape(1);
  py::array_t<T> h_out({B, H}), c_out({B, H});
  const T *px = xg.data(), *ph = hg.data(), *pc = c.data();
  T *oh = h_out.mutable_data(), *oc = c_out.mutable_data();
  py::gil_scoped_release release;
#pragma omp parallel for if (B * H > (1 << 18))
  for (int64_t b = 0; b < B; ++b) {
    const T* x = px + b * 4 * H;
    const T* h = ph + b * 4 * H;
    for (int64_t j = 0; j < H; ++j) {
      T i = sigm(x[j] + h[j]);
      T f = sigm(x[H + j] + h[H + j]);
      T g = std::tanh(x[2 * H + j] + h[2 * H + j]);
      T o = sigm(x[3 * H + j] + h[3 * H + j]);
      T cn = f * pc[b * H + j] + i * g;
      oc[b * H + j] = cn;
      oh[b * H + j] = o * std::tanh(cn);
    }
  }
  return {h_out, c_out};
}

template <typename T>
std::tuple<py::array_t<T>, py::array_t<T>> lstm_bwd(carray<T> xg, carray<T> hg, carray<T> c,
                                                    carray<T> gh, carray<T> gc) {
  check_rows(xg, hg, c, 4, "lstm_gates_backward");
  const int64_t B = c.shape(0), H = c.shape(1);
  require(gh.size() == B * H && gc.size() == B * H,
          "[lstm_gates_backward] gradient shapes do not match the state");
  py::array_t<T> d_gates({B, 4 * H}), d_c({B, H});
  const T *px = xg.data(), *ph = hg.data(), *pc = c.data(), *pgh = gh.data(),
          *pgc = gc.data();
  T *od = d_gates.mutable_data(), *odc = d_c.mutable_data();
  py::gil_scoped_release release;
#pragma omp parallel for if (B * H > (1 << 18))
  for (int64_t b = 0; b < B; ++b) {
    const T* x = px + b * 4 * H;
    const T* h = ph + b * 4 * H;
    T* d = od + b * 4 * H;
    for (int64_t j = 0; j < H; ++j) {
      const int64_t k = b * H + j;
      T i = sigm(x[j] + h[j]);
      T f = sigm(x[H + j] + h[H + j]);
      T g = std::tanh(x[2 * H + j] + h[2 * H + j]);
      T o = sigm(x[3 * H + j] + h[3 * H + j]);
      T tc = std::tanh(f * pc[k] + i * g);
      T dc = pgc[k] + pgh[k] * o * (T(1) - tc * tc);
      d[j] = dc * g * i * (T(1) - i);
      d[H + j] = dc * pc[k] * f * (T(1) - f);
      d[2 * H + j] = dc * i * (T(1) - g * g);
      d[3 * H + j] = pgh[k] * tc * o * (T(1) - o);
      odc[k] = dc * f;
    }
  }
  return {d_gates, d_c};
}

template <typename T>
py::array_t<T> gru_fwd(carray<T> xg, carray<T> hg, carray<T> hprev) {
  check_rows(xg, hg, hprev, 3, "gru_gates");
  const int64_t B = hprev.shape(0), H = hprev.shape(1);
  py::array_t<T> out({B, H});
  const T *px = xg.data(), *ph = hg.data(), *pp = hprev.data();
  T* o = out.mutable_data();
  py::gil_scoped_release release;
#pragma omp parallel for if (B * H > (1 << 18))
  for (int64_t b = 0; b < B; ++b) {
    const T* x = px + b * 3 * H;
    const T* h = ph + b * 3 * H;
    for (int64_t j = 0; j < H; ++j) {
      T r = sigm(x[j] + h[j]);
      T z = sigm(x[H + j] + h[H + j]);
      T n = std::tanh(x[2 * H + j] + r * h[2 * H + j]);
      o[b * H + j] = n + z * (pp[b * H + j] - n);
    }
  }
  return out;
}

template <typename T>
std::tuple<py::array_t<T>, py::array_t<T>, py::array_t<T>> gru_bwd(carray<T> xg, carray<T> hg,
                                                                   carray<T> hprev,
                                                                   carray<T> gh) {
  check_rows(xg, hg, hprev, 3, "gru_gates_backward");
  const int64_t B = hprev.shape(0), H = hprev.shape(1);
  require(gh.size() == B * H, "[gru_gates_backward] gradient shape does not match the state");
  py::array_t<T> d_x({B, 3 * H}), d_h({B, 3 * H}), d_prev({B, H});
  const T *px = xg.data(), *ph = hg.data(), *pp = hprev.data(), *pg = gh.data();
  T *dx = d_x.mutable_data(), *dh = d_h.mutable_data(), *dp = d_prev.mutable_data();
  py::gil_scoped_release release;
#pragma omp parallel for if (B * H > (1 << 18))
  for (int64_t b = 0; b < B; ++b) {
    const T* x = px + b * 3 * H;
    const T* h = ph + b * 3 * H;
    T* ax = dx + b * 3 * H;
    T* ah = dh + b * 3 * H;
    for (int64_t j = 0; j < H; ++j) {
      const int64_t k = b * H + j;
      T r = sigm(x[j] + h[j]);
      T z = sigm(x[H + j] + h[H + j]);
      T hn = h[2 * H + j];
      T n = std::tanh(x[2 * H + j] + r * hn);
      T g = pg[k];
      T d_pre_n = g * (T(1) - z) * (T(1) - n * n);
      T d_r = d_pre_n * hn * r * (T(1) - r);
      T d_z = g * (pp[k] - n) * z * (T(1) - z);
      ax[j] = d_r;
      ax[H + j] = d_z;
      ax[2 * H + j] = d_pre_n;
      ah[j] = d_r;
      ah[H + j] = d_z;
      ah[2 * H + j] = d_pre_n * r;
      dp[k] = g * z;
    }
  }
  return {d_x, d_h, d_prev};
}

Register reg([](py::module_& m) {
  m.def("lstm_gates_f32", &lstm_fwd<float>);
  m.def("lstm_gates_f64", &lstm_fwd<double>);
  m.def("lstm_gates_backward_f32", &lstm_bwd<float>);
  m.def("lstm_gates_backward_f64", &lstm_bwd<double>);
  m.def("gru_gates_f32", &gru_fwd<float>);
  m.def("gru_gates_f64", &gru_fwd<double>);
  m.def("gru_gates_backward_f32", &gru_bwd<float>);
  m.def("gru_gates_backward_f64", &gru_bwd<double>);
});

}  // namespace
}  // namespace ember
