#pragma once
// Philox fills of tensors (Note [Kernel tables]): uniforms, normals, and
// normals added in place, following the fill rule of Note [Philox streams]
// on the tensor's device. A fill owns whole blocks: `at.lane` must be 0
// (Philox::take_blocks hands out such a start). The result depends only on
// (at, element index), not on the thread count.
#include "veil/core/philox.h"
#include "veil/core/tensor.h"

namespace veil {

struct PhiloxKernels {
  // out[i] = lo + (hi - lo) * u_i, u_i uniform in [0, 1); lo and hi are
  // rounded to out's dtype first. out: contiguous float32 or float64.
  void (*uniform)(const Tensor& out, const PhiloxState& at, double lo, double hi) = nullptr;
  // out[i] = mean + std * z_i, z_i standard normal; as uniform otherwise.
  void (*normal)(const Tensor& out, const PhiloxState& at, double mean, double std) = nullptr;
  // inout[i] = inout[i] + std * z_i, computed in double with z_i the double
  // normals of the fill rule whatever inout's dtype, then rounded to it (the
  // DP noise rule, privacy/gaussian_noise.h). inout: contiguous, floating.
  void (*add_normal)(const Tensor& inout, const PhiloxState& at, double std) = nullptr;
  // out[i] = u_i >= p ? scale : 0 with u_i the float32 uniforms of the fill
  // rule whatever out's dtype (Dropout's mask). out: contiguous, floating.
  // With a defined `counter` (int64 [1] on out's device) the stream id is
  // at.stream's plus counter[0] (its low 56 bits), read by the kernel, and
  // the counter then goes up by one: Dropout's call count never has to be
  // read on the host (Note [Host reads]).
  void (*bernoulli_mask)(const Tensor& out, const PhiloxState& at, const Tensor& counter, double p,
                         double scale) = nullptr;
};

// The kernels for a device; fails by name on a device without them.
const PhiloxKernels& philox_kernels(Device device);

// Conveniences over the table (no autograd recording).
void philox_fill_uniform_(const Tensor& out, const PhiloxState& at, double lo, double hi);
void philox_fill_normal_(const Tensor& out, const PhiloxState& at, double mean, double std);
void philox_add_normal_(const Tensor& inout, const PhiloxState& at, double std);
void philox_bernoulli_mask_(const Tensor& out, const PhiloxState& at, double p, double scale,
                            const Tensor& counter = Tensor());

}  // namespace veil
