// Each op family's .cpp registers a binder; module.cpp runs them all.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ember {
namespace py = pybind11;

using Binder = std::function<void(py::module_&)>;

inline std::vector<Binder>& binders() {
  static std::vector<Binder> all;
  return all;
}

struct Register {
  explicit Register(Binder b) { binders().push_back(std::move(b)); }
};

// Arrays the kernels accept: C-contiguous, forcecast off so a wrong dtype is an error.
template <typename T>
using carray = py::array_t<T, py::array::c_style>;

inline void require(bool ok, const std::string& msg) {
  if (!ok) throw std::invalid_argument(msg);
}

}  // namespace ember
