// Parallel loops shared by the elementwise kernels.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace ember {

// Run body(i) for i in [0, size): threads over chunks, SIMD within a chunk.
template <typename F>
inline void simd_for(int64_t size, F body) {
  constexpr int64_t kChunk = 4096;
  const int64_t chunks = (size + kChunk - 1) / kChunk;
#pragma omp parallel for if (size > 32768)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t hi = std::min(size, (c + 1) * kChunk);
#pragma omp simd
    for (int64_t i = c * kChunk; i < hi; ++i) body(i);
  }
}

}  // namespace ember
