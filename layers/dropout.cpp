#include "veil/layers/dropout.h"

#include <sstream>

#include "veil/core/error.h"
#include "veil/core/philox_kernels.h"
#include "veil/autograd/ops.h"

namespace veil {

Dropout::Dropout(double p, std::uint64_t seed) : Module("Dropout"), p_(p), seed_(seed) {
  VEIL_CHECK(p >= 0.0 && p <= 1.0) << "Dropout: probability " << p << " is outside [0, 1]";
  calls_ = register_buffer("calls", Tensor::zeros({1}, DType::Int64));
}

std::uint64_t Dropout::calls() const { return static_cast<std::uint64_t>(calls_.item()); }

std::string Dropout::describe() const {
  std::ostringstream os;
  os << "Dropout(p=" << p_ << ")";
  return os.str();
}

Tensor Dropout::forward(const Tensor& input) {
  if (!is_training()) return input;
  VEIL_CHECK(is_floating(input.dtype())) << describe() << " needs a floating-point input, got " << input.dtype();
  // Uniforms always drawn in float32 (philox_bernoulli_mask_), so the mask
  // does not depend on the dtype, and from the dropout purpose's streams:
  // Tensor::uniform's general streams under the same seed also initialise
  // weights (Linear(.., seed)), and a mask must not reuse those numbers.
  VEIL_CHECK(calls_.device() == input.device())
      << describe() << ": input on " << input.device() << " but the module on " << calls_.device()
      << " (move the model with to())";
  // p = 1 drops everything; the scale of the (absent) survivors is moot.
  const double scale = p_ < 1.0 ? 1.0 / (1.0 - p_) : 0.0;
  Tensor mask = Tensor::empty(input.shape(), input.dtype(), input.device());
  // The stream id is the call counter, read and advanced by the kernel: no
  // host read in a training step (Note [Host reads]).
  philox_bernoulli_mask_(mask, PhiloxState{seed_, philox_stream(kDropoutPurpose, 0), 0, 0}, p_, scale, calls_);
  // The product's backward multiplies g by the same mask.
  return mul(input, mask);
}

}  // namespace veil
