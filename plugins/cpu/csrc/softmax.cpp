// softmax and log_softmax along one dim, and their backward, in one pass per row.
// The tensor is seen as (outer, n, inner): the reduced dim has n elements, stride inner.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "registry.h"

namespace ember {
namespace {

template <typename T, bool LOG>
py::array_t<T> softmax_fwd(carray<T> x, int64_t outer, int64_t n, int64_t inner) {
  require(outer * n * inner == x.size(), "[softmax] shape does not match the array size");
  py::array_t<T> out(x.request().shape);
  const T* src = x.data();
  T* dst = out.mutable_data();
  py::gil_scoped_release release;
#pragma omp parallel for collapse(2) if (outer * inner > 1 && outer * n * inner > 32768)
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const T* row = src + o * n * inner + i;
      T* orow = dst + o * n * inner + i;
      T mx = -std::numeric_limits<T>::infinity();
      for (int64_t j = 0; j < n; ++j) mx = std::max(mx, row[j * inner]);
      if (std::isnan(mx)) {
        for (int64_t j = 0; j < n; ++j) orow[j * inner] = mx;
        continue;
      }
      if (std::isinf(mx) && mx < 0) mx = 0;
      double sum = 0;
      for (int64_t j = 0; j < n; ++j) {
        T e = std::exp(row[j * inner] - mx);
        if (!LOG) orow[j * inner] = e;
        sum += e;
      }
      if (LOG) {
        T lse = static_cast<T>(std::log(sum));
        for (int64_t j = 0; j < n; ++j) orow[j * inner] = row[j * inner] - mx - lse;
      } else {
        T inv = static_cast<T>(1.0 / sum);
        for (int64_t j = 0; j < n; ++j) orow[j * inner] *= inv;
      }
    }
  }
  return out;
}

Register reg([](py::module_& m) {
  m.def("softmax_f32", &softmax_fwd<float, false>);
  m.def("softmax_f64", &softmax_fwd<double, false>);
  m.def("log_softmax_f32", &softmax_fwd<float, true>);
  m.def("log_softmax_f64", &softmax_fwd<double, true>);
});

}  // namespace
}  // namespace ember
