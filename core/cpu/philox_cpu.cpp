// CPU Philox fills (core/philox_kernels.h): blocks in parallel, element i
// from block (at.offset + i / PerBlock) as Note [Philox streams] says, scaled
// through rn:: so the GPU's fills match bit for bit (Note [Bit-identical
// normals]).
#include <algorithm>

#include "veil/core/parallel.h"
#include "veil/core/philox_kernels.h"

namespace veil {
namespace {

// Runs values(block) on every block a fill of n elements starting at `at`
// touches and hands element i to sink(i, value). Element i depends only on
// i, so the result does not depend on the number of threads.
template <int64_t PerBlock, typename Values, typename Sink>
void philox_for_each(int64_t n, const PhiloxState& at, Values values, Sink sink) {
  const auto blocks = static_cast<int64_t>(philox_blocks(n, PerBlock));
  parallel_for(blocks, 1024, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const auto value = values(philox_block(at.seed, at.stream, at.offset + static_cast<uint64_t>(b)));
      const int64_t first = b * PerBlock;
      const int64_t count = std::min(PerBlock, n - first);
      for (int64_t j = 0; j < count; ++j) sink(first + j, value.v[j]);
    }
  });
}

// The fill rule per dtype: four floats or two doubles per block.
template <typename T>
struct Rule;
template <>
struct Rule<float> {
  static constexpr int64_t kPerBlock = kPhiloxFloatsPerBlock;
  static Float4 uniform(const Philox4x32Block& b) { return philox_uniform_float4(b); }
  static Float4 normal(const Philox4x32Block& b) { return philox_normal_float4(b); }
};
template <>
struct Rule<double> {
  static constexpr int64_t kPerBlock = kPhiloxDoublesPerBlock;
  static Double2 uniform(const Philox4x32Block& b) { return philox_uniform_double2(b); }
  static Double2 normal(const Philox4x32Block& b) { return philox_normal_double2(b); }
};

void cpu_uniform(const Tensor& out, const PhiloxState& at, double lo_value, double hi_value) {
  dispatch_floating(out.dtype(), "uniform", [&]<typename T>() {
    T* o = out.data<T>();
    const T lo = static_cast<T>(lo_value), hi = static_cast<T>(hi_value);
    philox_for_each<Rule<T>::kPerBlock>(out.numel(), at, Rule<T>::uniform,
                                        [=](int64_t i, T u) { o[i] = rn::add_mul(lo, rn::sub(hi, lo), u); });
  });
}

void cpu_normal(const Tensor& out, const PhiloxState& at, double mean_value, double std_value) {
  dispatch_floating(out.dtype(), "normal", [&]<typename T>() {
    T* o = out.data<T>();
    const T mean = static_cast<T>(mean_value), std = static_cast<T>(std_value);
    philox_for_each<Rule<T>::kPerBlock>(out.numel(), at, Rule<T>::normal,
                                        [=](int64_t i, T z) { o[i] = rn::add_mul(mean, std, z); });
  });
}

void cpu_add_normal(const Tensor& inout, const PhiloxState& at, double std) {
  dispatch_floating(inout.dtype(), "normal noise", [&]<typename T>() {
    T* x = inout.data<T>();
    philox_for_each<kPhiloxDoublesPerBlock>(inout.numel(), at, philox_normal_double2, [=](int64_t i, double z) {
      x[i] = static_cast<T>(rn::add_mul(static_cast<double>(x[i]), std, z));
    });
  });
}

void cpu_bernoulli_mask(const Tensor& out, const PhiloxState& at, const Tensor& counter, double p, double scale) {
  PhiloxState from = at;
  std::int64_t* calls = counter.defined() ? counter.data<std::int64_t>() : nullptr;
  if (calls != nullptr) from.stream += static_cast<uint64_t>(*calls) & kPhiloxStreamIdMask;
  dispatch_floating(out.dtype(), "Bernoulli mask", [&]<typename T>() {
    T* m = out.data<T>();
    const T kept = static_cast<T>(scale);
    philox_for_each<kPhiloxFloatsPerBlock>(out.numel(), from, philox_uniform_float4,
                                           [=](int64_t i, float u) { m[i] = u >= p ? kept : T(0); });
  });
  if (calls != nullptr) ++*calls;
}

}  // namespace

const PhiloxKernels& cpu_philox_kernels() {
  static const PhiloxKernels kernels{cpu_uniform, cpu_normal, cpu_add_normal, cpu_bernoulli_mask};
  return kernels;
}

}  // namespace veil
