// The pybind11 module: only runs the binders that each op family registered.
#include <omp.h>

#include "registry.h"

PYBIND11_MODULE(_native, m) {
  m.doc() = "ember-cpu C++ kernels";
  m.def("set_num_threads", [](int n) { omp_set_num_threads(n); });
  m.def("get_num_threads", []() { return omp_get_max_threads(); });
  for (auto& bind : ember::binders()) bind(m);
}
