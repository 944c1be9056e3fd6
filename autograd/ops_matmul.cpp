// matmul through the CPU GEMM.
#include "veil/autograd/node.h"
#include "veil/core/cpu/gemm.h"
#include "veil/core/device_check.h"
#include "veil/autograd/ops.h"
#include "veil/core/parallel.h"

namespace veil {

namespace {

// Batched [Bt, M, K] x [Bt, K, N] on contiguous operands.
Tensor batched_matmul(const Tensor& a, const Tensor& b) {
  const std::int64_t batch = a.size(0), m = a.size(1), k = a.size(2), n = b.size(2);
  Tensor out = Tensor::empty({batch, m, n}, a.dtype(), a.device());
  dispatch_floating(a.dtype(), "matmul", [&]<typename T>() {
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* po = out.data<T>();
    parallel_for(batch, 1, [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t i = b0; i < b1; ++i)
        cpu::gemm<T>(false, false, m, n, k, T(1), pa + i * m * k, k, pb + i * k * n, n, T(0), po + i * m * n, n);
    });
  });
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  require_cpu(a_in, "matmul");
  VEIL_CHECK(a_in.dtype() == b_in.dtype()) << "matmul dtype mismatch: " << a_in.dtype() << " and " << b_in.dtype();
  const bool batched = a_in.dim() == 3;
  VEIL_CHECK((a_in.dim() == 2 && b_in.dim() == 2) || (batched && b_in.dim() == 3))
      << "matmul expects [M, K] x [K, N] or [B, M, K] x [B, K, N], got " << a_in.shape() << " x " << b_in.shape();
  VEIL_CHECK(a_in.size(-1) == b_in.size(-2) && (!batched || a_in.size(0) == b_in.size(0)))
      << "matmul shape mismatch: " << a_in.shape() << " x " << b_in.shape();
  const Tensor a = a_in.detach().contiguous();
  const Tensor b = b_in.detach().contiguous();
  Tensor out;
  if (batched) {
    out = batched_matmul(a, b);
  } else {
    const std::int64_t m = a.size(0), k = a.size(1), n = b.size(1);
    out = Tensor::empty({m, n}, a.dtype(), a.device());
    dispatch_floating(a.dtype(), "matmul", [&]<typename T>() {
      cpu::gemm<T>(false, false, m, n, k, T(1), a.data<T>(), k, b.data<T>(), n, T(0), out.data<T>(), n);
    });
  }
  return autograd::record_op("matmul", out, {a_in, b_in}, [a, b](const Tensor& g) {
    const int last = a.dim() - 1;
    return std::vector<Tensor>{matmul(g, b.transpose(last - 1, last)), matmul(a.transpose(last - 1, last), g)};
  });
}

}  // namespace veil
