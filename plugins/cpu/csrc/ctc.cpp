// CTC loss (Graves et al., 2006): forward with the log-space alpha recursion and backward
// with the beta recursion, one sequence per OpenMP iteration.
//
// Shapes: log_probs (T, N, C); targets (N, S) int64, padded (row b holds target_lengths[b]
// labels); input_lengths, target_lengths (N) int64. The extended target of sequence b is
// blank, l1, blank, l2, ..., blank: 2 * target_lengths[b] + 1 states; log_alpha is stored
// as (N, T, 2 * S + 1). A state may be skipped (s - 2 -> s) when its label differs from
// the one two states back; blanks never differ from blanks, so this is the usual rule, and
// a target that (wrongly) contains the blank label gets torch's results.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "registry.h"

namespace ember {
namespace {

template <typename T>
inline T neg_inf() {
  return -std::numeric_limits<T>::infinity();
}

// log(exp(a) + exp(b) + exp(c)), -inf when all are -inf.
template <typename T>
inline T lse3(T a, T b, T c) {
  T m = std::max(a, std::max(b, c));
  if (m == neg_inf<T>()) return m;
  return m + std::log(std::exp(a - m) + std::exp(b - m) + std::exp(c - m));
}

template <typename T>
inline T lse2(T a, T b) {
  T m = std::max(a, b);
  if (m == neg_inf<T>()) return m;
  return m + std::log1p(std::exp(-std::abs(a - b)));
}

struct CtcShape {
  int64_t t_max, batch, classes, s_max, states;
};

template <typename T>
CtcShape check_ctc(const carray<T>& lp, const carray<int64_t>& tg, const carray<int64_t>& il,
                   const carray<int64_t>& tl, int64_t blank) {
  require(lp.ndim() == 3, "[ctc_loss] log_probs must be (T, N, C)");
  require(tg.ndim() == 2, "[ctc_loss] targets must be padded to (N, S)");
  CtcShape s{lp.shape(0), lp.shape(1), lp.shape(2), tg.shape(1), 2 * tg.shape(1) + 1};
  require(tg.shape(0) == s.batch, "[ctc_loss] targets must have N rows");
  require(il.size() == s.batch && tl.size() == s.batch,
          "[ctc_loss] input_lengths and target_lengths must have N entries");
  require(0 <= blank && blank < s.classes, "[ctc_loss] blank must be in label range");
  for (int64_t b = 0; b < s.batch; ++b) {
    require(0 <= il.data()[b] && il.data()[b] <= s.t_max, "[ctc_loss] bad input length");
    require(0 <= tl.data()[b] && tl.data()[b] <= s.s_max, "[ctc_loss] bad target length");
  }
  const int64_t* t = tg.data();
  for (int64_t i = 0; i < tg.size(); ++i)
    require(0 <= t[i] && t[i] < s.classes, "[ctc_loss] target label out of range");
  return s;
}

// The alpha recursion of every sequence; log_alpha rows past a sequence's length stay -inf.
template <typename T>
void forward_loop(const CtcShape& sh, const T* lp, const int64_t* tg, const int64_t* il,
                  const int64_t* tl, int64_t blank, T* out, T* la_all) {
#pragma omp parallel for schedule(dynamic)
  for (int64_t b = 0; b < sh.batch; ++b) {
    const int64_t len = il[b];
    const int64_t states = 2 * tl[b] + 1;
    const int64_t* lab = tg + b * sh.s_max;
    auto label = [&](int64_t s) { return (s % 2 == 0) ? blank : lab[s / 2]; };
    auto lpt = [&](int64_t t, int64_t c) { return lp[(t * sh.batch + b) * sh.classes + c]; };
    T* la = la_all + b * sh.t_max * sh.states;
    std::fill(la, la + sh.t_max * sh.states, neg_inf<T>());
    if (len == 0) {
      out[b] = tl[b] == 0 ? T(0) : std::numeric_limits<T>::infinity();
      continue;
    }
    la[0] = lpt(0, blank);
    if (states > 1) la[1] = lpt(0, label(1));
    for (int64_t t = 1; t < len; ++t) {
      const T* prev = la + (t - 1) * sh.states;
      T* cur = la + t * sh.states;
      for (int64_t s = 0; s < states; ++s) {
        const int64_t l = label(s);
        T a1 = s > 0 ? prev[s - 1] : neg_inf<T>();
        T a2 = (s > 1 && label(s - 2) != l) ? prev[s - 2] : neg_inf<T>();
        cur[s] = lse3(prev[s], a1, a2) + lpt(t, l);
      }
    }
    const T* last = la + (len - 1) * sh.states;
    T ll = states > 1 ? lse2(last[states - 1], last[states - 2]) : last[0];
    out[b] = -ll;
  }
}

// Returns (nll (N,), log_alpha (N, T, 2S + 1)).
template <typename T>
py::tuple ctc_forward(carray<T> log_probs, carray<int64_t> targets, carray<int64_t> input_lengths,
                      carray<int64_t> target_lengths, int64_t blank) {
  const CtcShape sh = check_ctc(log_probs, targets, input_lengths, target_lengths, blank);
  py::array_t<T> nll(sh.batch);
  py::array_t<T> log_alpha({sh.batch, sh.t_max, sh.states});
  const T* lp = log_probs.data();
  const int64_t* tg = targets.data();
  const int64_t* il = input_lengths.data();
  const int64_t* tl = target_lengths.data();
  T* out = nll.mutable_data();
  T* la_all = log_alpha.mutable_data();
  {
    py::gil_scoped_release release;
    forward_loop(sh, lp, tg, il, tl, blank, out, la_all);
  }
  return py::make_tuple(nll, log_alpha);
}

// The beta recursion and the gradient of every sequence (rows past its length stay 0).
template <typename T>
void backward_loop(const CtcShape& sh, const T* lp, const int64_t* tg, const int64_t* il,
                   const int64_t* tl, const T* go, const T* nl, const T* la_all,
                   int64_t blank, bool zero_infinity, T* gr) {
#pragma omp parallel for schedule(dynamic)
  for (int64_t b = 0; b < sh.batch; ++b) {
    const int64_t len = il[b];
    const int64_t states = 2 * tl[b] + 1;
    const T loss = nl[b];
    if (len == 0 || (zero_infinity && loss == std::numeric_limits<T>::infinity())) continue;
    const int64_t* lab = tg + b * sh.s_max;
    auto label = [&](int64_t s) { return (s % 2 == 0) ? blank : lab[s / 2]; };
    auto lpt = [&](int64_t t, int64_t c) { return lp[(t * sh.batch + b) * sh.classes + c]; };
    const T* la = la_all + b * sh.t_max * sh.states;
    std::vector<T> beta(len * states, neg_inf<T>());
    T* last = beta.data() + (len - 1) * states;
    last[states - 1] = lpt(len - 1, blank);
    if (states > 1) last[states - 2] = lpt(len - 1, label(states - 2));
    for (int64_t t = len - 2; t >= 0; --t) {
      const T* next = beta.data() + (t + 1) * states;
      T* cur = beta.data() + t * states;
      for (int64_t s = 0; s < states; ++s) {
        const int64_t l = label(s);
        T b1 = s + 1 < states ? next[s + 1] : neg_inf<T>();
        T b2 = (s + 2 < states && label(s + 2) != l) ? next[s + 2] : neg_inf<T>();
        cur[s] = lse3(next[s], b1, b2) + lpt(t, l);
      }
    }
    std::vector<T> lcab(sh.classes);
    const T g = go[b];
    // torch assigns (not log-adds) the last frame's two states; they differ unless the
    // target holds the blank label, in which case the last state's term is dropped
    const bool drop_last = states > 1 && label(states - 2) == blank;
    for (int64_t t = 0; t < len; ++t) {
      std::fill(lcab.begin(), lcab.end(), neg_inf<T>());
      for (int64_t s = 0; s < states; ++s) {
        if (drop_last && t == len - 1 && s == states - 1) continue;
        const int64_t l = label(s);
        lcab[l] = lse2(lcab[l], la[t * sh.states + s] + beta[t * states + s]);
      }
      T* row = gr + (t * sh.batch + b) * sh.classes;
      for (int64_t c = 0; c < sh.classes; ++c) {
        const T v = lpt(t, c);
        row[c] = (std::exp(v) - std::exp(lcab[c] + loss - v)) * g;
      }
    }
  }
}

// The gradient with respect to log_probs in torch's convention:
// grad[t, b, c] = (exp(lp) - exp(log sum_{s: l'_s = c} alpha_t(s) beta_t(s) + nll - lp)) * g_b
// for t < input_length, else 0; 0 for infinite losses when zero_infinity.
template <typename T>
py::array_t<T> ctc_backward(carray<T> grad_out, carray<T> log_probs, carray<int64_t> targets,
                            carray<int64_t> input_lengths, carray<int64_t> target_lengths,
                            carray<T> nll, carray<T> log_alpha, int64_t blank,
                            bool zero_infinity) {
  const CtcShape sh = check_ctc(log_probs, targets, input_lengths, target_lengths, blank);
  require(grad_out.size() == sh.batch && nll.size() == sh.batch,
          "[ctc_loss_backward] grad and nll must have N entries");
  require(log_alpha.size() == sh.batch * sh.t_max * sh.states,
          "[ctc_loss_backward] log_alpha has the wrong size");
  py::array_t<T> grad({sh.t_max, sh.batch, sh.classes});
  T* gr = grad.mutable_data();
  std::fill(gr, gr + grad.size(), T(0));
  {
    py::gil_scoped_release release;
    backward_loop(sh, log_probs.data(), targets.data(), input_lengths.data(),
                  target_lengths.data(), grad_out.data(), nll.data(), log_alpha.data(), blank,
                  zero_infinity, gr);
  }
  return grad;
}

Register reg([](py::module_& m) {
  m.def("ctc_loss_f32", &ctc_forward<float>);
  m.def("ctc_loss_f64", &ctc_forward<double>);
  m.def("ctc_loss_backward_f32", &ctc_backward<float>);
  m.def("ctc_loss_backward_f64", &ctc_backward<double>);
});

}  // namespace
}  // namespace ember
