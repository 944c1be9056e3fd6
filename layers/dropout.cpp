#include "veil/layers/dropout.h"

#include <sstream>

#include "veil/core/error.h"
#include "veil/core/philox.h"
#include "veil/autograd/ops.h"
#include "veil/core/parallel.h"

namespace veil {

Dropout::Dropout(double p, std::uint64_t seed) : Module("Dropout"), p_(p), seed_(seed) {
  VEIL_CHECK(p >= 0.0 && p <= 1.0) << "Dropout: probability " << p << " is outside [0, 1]";
  calls_ = register_buffer("calls", Tensor::zeros({1}, DType::Int64));
}

std::uint64_t Dropout::calls() const { return static_cast<std::uint64_t>(calls_.data<std::int64_t>()[0]); }

std::string Dropout::describe() const {
  std::ostringstream os;
  os << "Dropout(p=" << p_ << ")";
  return os.str();
}

Tensor Dropout::forward(const Tensor& input) {
  if (!is_training()) return input;
  VEIL_CHECK(is_floating(input.dtype())) << describe() << " needs a floating-point input, got " << input.dtype();
  // Uniforms always drawn in float32, so the mask does not depend on the
  // dtype, and from the dropout purpose's streams: Tensor::uniform's general
  // streams under the same seed also initialise weights (Linear(.., seed)),
  // and a mask must not reuse those numbers.
  Tensor u = Tensor::empty(input.shape(), DType::Float32);
  philox_fill_uniform(u.data<float>(), u.numel(), PhiloxState{seed_, philox_stream(PhiloxPurpose::kDropout, static_cast<std::uint64_t>(calls_.data<std::int64_t>()[0]++)), 0, 0},
                      0.0f, 1.0f);
  // p = 1 drops everything; the scale of the (absent) survivors is moot.
  const double scale = p_ < 1.0 ? 1.0 / (1.0 - p_) : 0.0;
  Tensor mask = Tensor::empty(input.shape(), input.dtype());
  dispatch_floating(input.dtype(), "Dropout", [&]<typename T>() {
    const float* pu = u.data<float>();
    T* pm = mask.data<T>();
    parallel_for(mask.numel(), 4096, [&](std::int64_t j0, std::int64_t j1) {
      for (std::int64_t j = j0; j < j1; ++j) pm[j] = pu[j] >= p_ ? static_cast<T>(scale) : T(0);
    });
  });
  // The product's backward multiplies g by the same mask.
  return mul(input, mask.to(input.device()));
}

}  // namespace veil
