// where(cond, a, b): an elementwise select, in parallel and branch-free (numpy's where
// branches per element, which costs several times more on irregular masks).
//
// Elements are moved as bit patterns, so one loop per item size serves every dtype. Each of
// a and b is either an array of cond's size or a single element (a 0-d array).
#include <cstdint>
#include <cstring>

#include "parallel.h"
#include "registry.h"

namespace ember {
namespace {

template <typename U, bool ScalarA, bool ScalarB>
void select_loop(const uint8_t* c, const U* a, const U* b, U* out, int64_t n) {
  simd_for(n, [&](int64_t i) {
    const U av = ScalarA ? a[0] : a[i];  // both read for every i, so the select vectorizes
    const U bv = ScalarB ? b[0] : b[i];
    out[i] = c[i] ? av : bv;
  });
}

template <typename U>
void select_as(const uint8_t* c, const void* a, bool sa, const void* b, bool sb, void* out,
               int64_t n) {
  const U* ap = static_cast<const U*>(a);
  const U* bp = static_cast<const U*>(b);
  U* op = static_cast<U*>(out);
  if (sa && sb) {
    select_loop<U, true, true>(c, ap, bp, op, n);
  } else if (sa) {
    select_loop<U, true, false>(c, ap, bp, op, n);
  } else if (sb) {
    select_loop<U, false, true>(c, ap, bp, op, n);
  } else {
    select_loop<U, false, false>(c, ap, bp, op, n);
  }
}

// out = where(cond, a, b) for C-contiguous cond (bool) and a, b, out of one dtype.
void select(py::array cond, py::array a, py::array b, py::array out) {
  const int64_t n = cond.size();
  const int64_t item = out.itemsize();
  require(cond.itemsize() == 1 && a.itemsize() == item && b.itemsize() == item,
          "[where] condition must be bool and both values of the output's dtype");
  require((a.size() == n || a.size() == 1) && (b.size() == n || b.size() == 1) &&
              out.size() == n,
          "[where] values must have the condition's size or be single elements");
  const auto contiguous = py::array::c_style;
  require((cond.flags() & contiguous) && (a.flags() & contiguous) && (b.flags() & contiguous) &&
              (out.flags() & contiguous) && out.writeable(),
          "[where] arrays must be C-contiguous and the output writeable");
  const auto* c = static_cast<const uint8_t*>(cond.data());
  const void* ap = a.data();
  const void* bp = b.data();
  void* op = out.mutable_data();
  const bool sa = a.size() == 1 && n != 1, sb = b.size() == 1 && n != 1;
  py::gil_scoped_release release;
  switch (item) {
    case 1: select_as<uint8_t>(c, ap, sa, bp, sb, op, n); break;
    case 2: select_as<uint16_t>(c, ap, sa, bp, sb, op, n); break;
    case 4: select_as<uint32_t>(c, ap, sa, bp, sb, op, n); break;
    case 8: select_as<uint64_t>(c, ap, sa, bp, sb, op, n); break;
    default: throw std::invalid_argument("[where] unsupported item size");
  }
}

Register reg([](py::module_& m) { m.def("select", &select); });

}  // namespace
}  // namespace ember
