// Special functions numpy lacks: erf, erfc and erfinv, elementwise with OpenMP.
#include <omp.h>

#include <cmath>
#include <limits>

#include "registry.h"

namespace ember {
namespace {

// Inverse error function: Giles' single-precision approximation as a start, then two
// Newton steps on erf(x) - y, which bring it to double precision.
double erfinv_scalar(double y) {
  if (std::isnan(y) || y < -1.0 || y > 1.0) return std::numeric_limits<double>::quiet_NaN();
  if (y == 1.0) return std::numeric_limits<double>::infinity();
  if (y == -1.0) return -std::numeric_limits<double>::infinity();
  double w = -std::log((1.0 - y) * (1.0 + y));
  double x;
  if (w < 5.0) {
    w -= 2.5;
    double p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w;
    p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
    x = p * y;
  } else {
    w = std::sqrt(w) - 3.0;
    double p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
    x = p * y;
  }
  const double two_over_sqrt_pi = 1.1283791670955126;
  for (int i = 0; i < 2; ++i) {
    double err = std::erf(x) - y;
    x -= err / (two_over_sqrt_pi * std::exp(-x * x));
  }
  return x;
}

template <typename T, typename F>
py::array_t<T> elementwise(carray<T> a, F f) {
  py::array_t<T> out(a.request().shape);
  const T* src = a.data();
  T* dst = out.mutable_data();
  const int64_t n = a.size();
  py::gil_scoped_release release;
#pragma omp parallel for if (n > 32768)
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<T>(f(static_cast<double>(src[i])));
  return out;
}

template <typename T>
py::array_t<T> erf_k(carray<T> a) {
  return elementwise<T>(a, [](double v) { return std::erf(v); });
}

template <typename T>
py::array_t<T> erfc_k(carray<T> a) {
  return elementwise<T>(a, [](double v) { return std::erfc(v); });
}

template <typename T>
py::array_t<T> erfinv_k(carray<T> a) {
  return elementwise<T>(a, erfinv_scalar);
}

Register reg([](py::module_& m) {
  m.def("erf_f32", &erf_k<float>);
  m.def("erf_f64", &erf_k<double>);
  m.def("erfc_f32", &erfc_k<float>);
  m.def("erfc_f64", &erfc_k<double>);
  m.def("erfinv_f32", &erfinv_k<float>);
  m.def("erfinv_f64", &erfinv_k<double>);
});

}  // namespace
}  // namespace ember
