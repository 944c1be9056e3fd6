// Random tensor creation through the Philox fills.
#include "veil/core/philox_kernels.h"

namespace veil {

namespace {

PhiloxState general_stream(std::uint64_t seed, std::uint64_t stream) {
  return PhiloxState{seed, philox_stream(PhiloxPurpose::kGeneral, stream), 0, 0};
}

}  // namespace

Tensor Tensor::uniform(const Shape& shape, double lo, double hi, std::uint64_t seed, std::uint64_t stream,
                       DType dtype) {
  VEIL_CHECK(lo <= hi) << "uniform: lower bound " << lo << " above upper bound " << hi;
  Tensor t = empty(shape, dtype);
  philox_fill_uniform_(t, general_stream(seed, stream), lo, hi);
  return t;
}

Tensor Tensor::normal(const Shape& shape, double mean, double std, std::uint64_t seed, std::uint64_t stream,
                      DType dtype) {
  VEIL_CHECK(std >= 0) << "normal: standard deviation " << std << " is negative";
  Tensor t = empty(shape, dtype);
  philox_fill_normal_(t, general_stream(seed, stream), mean, std);
  return t;
}

}  // namespace veil
