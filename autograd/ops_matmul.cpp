// matmul over the GEMM kernels (core/gemm.h).
#include "veil/autograd/node.h"
#include "veil/autograd/ops.h"
#include "veil/core/gemm.h"

namespace veil {

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  VEIL_CHECK(a_in.dtype() == b_in.dtype()) << "matmul dtype mismatch: " << a_in.dtype() << " and " << b_in.dtype();
  const bool batched = a_in.dim() == 3;
  VEIL_CHECK((a_in.dim() == 2 && b_in.dim() == 2) || (batched && b_in.dim() == 3))
      << "matmul expects [M, K] x [K, N] or [B, M, K] x [B, K, N], got " << a_in.shape() << " x " << b_in.shape();
  VEIL_CHECK(a_in.size(-1) == b_in.size(-2) && (!batched || a_in.size(0) == b_in.size(0)))
      << "matmul shape mismatch: " << a_in.shape() << " x " << b_in.shape();
  const Tensor a = a_in.detach().contiguous();
  const Tensor b = b_in.detach().contiguous();
  Shape out_shape = a.shape();
  out_shape.back() = b.size(-1);
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
  if (batched) batched_gemm(false, false, 1.0, a, b, 0.0, out);
  else gemm(false, false, 1.0, a, b, 0.0, out);
  return autograd::record_op("matmul", out, {a_in, b_in}, [a, b](const Tensor& g) {
    const int last = a.dim() - 1;
    return std::vector<Tensor>{matmul(g, b.transpose(last - 1, last)), matmul(a.transpose(last - 1, last), g)};
  });
}

}  // namespace veil
