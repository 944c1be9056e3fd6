// Host-to-GPU copies through pinned staging (Note [Pinned staging]): they
// return before the GPU has copied, so the host buffer must be free to change
// at once, and many copies in a row (more than the slots, larger than one)
// must all arrive. Copies between GPU tensors of any strides and dtypes agree
// with the CPU's copy_strided; a copy to a second GPU waits for the work
// queued there.
#include <catch2/catch.hpp>

#include <vector>

#include "support/cuda_agreement.h"
#include "veil/autograd/ops.h"
#include "veil/core/device_runtime.h"

using namespace veil;
using namespace veil::testing;

TEST_CASE("host-to-GPU copies arrive whole, also when the host changes its buffer at once", "[cuda][copy]") {
  const Device g = gpu();
  std::vector<Tensor> sent, expected;
  // 9 MiB crosses the 4 MiB slots; 12 copies reuse each of the 4 slots three times.
  for (std::int64_t n : {1, 7, 1000, 9 * 262144 + 5, 3, 65536, 1 << 20, 2, 5, 333, 4096, 17}) {
    Tensor host = Tensor::full({n}, static_cast<double>(n % 97), DType::Float32);
    sent.push_back(host.to(g));
    expected.push_back(host.clone());
    host.fill_(-1.0);  // the copy already took the bytes
  }
  for (std::size_t i = 0; i < sent.size(); ++i) require_bitwise_agrees(sent[i], expected[i]);
}

TEST_CASE("a GPU kernel queued after a host-to-GPU copy reads the copied values", "[cuda][copy]") {
  const Device g = gpu();
  const Tensor host = Tensor::uniform({100000}, -1.0, 1.0, 7, 0, DType::Float64);
  const Tensor doubled = host.to(g) * 2.0;
  require_bitwise_agrees(doubled, host * 2.0);
}

TEST_CASE("GPU copies between strided views, dtypes and overlapping views agree with the CPU's", "[cuda][copy]") {
  const Device g = gpu();
  const Tensor x = rand({6, 5, 4}, 1, DType::Float64);
  // Strided sources and destinations, one thread per element.
  require_bitwise_agrees(x.to(g).transpose(0, 2).contiguous(), x.transpose(0, 2).contiguous());
  require_bitwise_agrees(x.to(g).slice(1, 1, 4).to(DType::Float32), x.slice(1, 1, 4).to(DType::Float32));
  Tensor dst = Tensor::zeros({4, 5, 6}, DType::Float64);
  const Tensor dst_g = dst.to(g);
  dst.transpose(0, 2).copy_(x);
  dst_g.transpose(0, 2).copy_(x.to(g));
  require_bitwise_agrees(dst_g, dst);
  // x[1:] = x[:-1] within one storage: as if through a copy (memmove on the CPU).
  Tensor line = rand({10}, 2, DType::Float64);
  const Tensor line_g = line.to(g);
  line.slice(0, 1, 10).copy_(line.slice(0, 0, 9));
  line_g.slice(0, 1, 10).copy_(line_g.slice(0, 0, 9));
  require_bitwise_agrees(line_g, line);
}

TEST_CASE("a copy to another GPU is not overwritten by work still queued there", "[cuda][two_gpus][copy]") {
  REQUIRE(cuda_device_count() >= 2);
  const Device g0 = Device::cuda(0), g1 = Device::cuda(1);
  constexpr std::int64_t n = 1 << 22;
  const Tensor expected = Tensor::full({n}, 3.0, DType::Float32);
  const Tensor source = expected.to(g0);
  for (int round = 0; round < 8; ++round) {
    {
      // A chain of kernels queued on cuda:1, each writing a block that is
      // freed at once: the copy below reuses such a block.
      Tensor busy = Tensor::full({n}, 1.0, DType::Float32, g1);
      for (int i = 0; i < 50; ++i) busy = busy * 1.0001 + busy;
    }
    require_bitwise_agrees(source.to(g1), expected);
  }
}
