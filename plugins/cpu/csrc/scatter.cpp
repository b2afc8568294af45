// Accumulating writes: out[index[i]] += values[i] with repeated indices summing, the core of
// scatter_add and index_put(accumulate=True). The caller flattens the target (contiguous)
// and the indices; the loop is serial so repeated indices accumulate deterministically.
#include <cstdint>
#include <string>

#include "registry.h"

namespace ember {
namespace {

template <typename T>
void accumulate_flat(py::array_t<T, py::array::c_style> out, carray<int64_t> index,
                     carray<T> values) {
  require(index.size() == values.size(),
          "[index_put] index and values must have the same number of elements, got " +
              std::to_string(index.size()) + " and " + std::to_string(values.size()));
  const int64_t n = out.size();
  const int64_t m = index.size();
  const int64_t* idx = index.data();
  for (int64_t i = 0; i < m; ++i) {
    if (idx[i] < 0 || idx[i] >= n) {
      throw py::index_error("[index_put] flat index " + std::to_string(idx[i]) +
                            " is out of bounds for a tensor of " + std::to_string(n) +
                            " elements");
    }
  }
  T* dst = out.mutable_data();
  const T* src = values.data();
  py::gil_scoped_release release;
  for (int64_t i = 0; i < m; ++i) dst[idx[i]] += src[i];
}

Register reg([](py::module_& m) {
  m.def("accumulate_flat_f32", &accumulate_flat<float>);
  m.def("accumulate_flat_f64", &accumulate_flat<double>);
});

}  // namespace
}  // namespace ember
