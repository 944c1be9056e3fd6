#pragma once
// A 64-byte vector (GCC/Clang vector extension): one AVX-512 register, or
// two or four narrower ones on other CPUs. The register-blocked GEMM
// kernels (gemm_small_n, gemm_tn_small) keep their accumulators in it.
#include <cstdint>
#include <cstring>

namespace veil::cpu {

template <typename T>
struct VecOf;
template <>
struct VecOf<float> {
  typedef float type __attribute__((vector_size(64)));
};
template <>
struct VecOf<double> {
  typedef double type __attribute__((vector_size(64)));
};
template <typename T>
using Vec = typename VecOf<T>::type;
template <typename T>
constexpr std::int64_t kLanes = 64 / sizeof(T);

// A vector read from, or written to, any element boundary.
template <typename T>
Vec<T> load_vec(const T* p) {
  Vec<T> v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
template <typename T>
void store_vec(T* p, const Vec<T>& v) {
  std::memcpy(p, &v, sizeof(v));
}

}  // namespace veil::cpu
