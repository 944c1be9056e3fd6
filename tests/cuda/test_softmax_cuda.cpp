// CUDA softmax, log-softmax and the fused cross-entropy against the CPU's.
#include <catch2/catch.hpp>

#include <cmath>

#include "support/cuda_agreement.h"
#include "veil/core/softmax_kernels.h"

using namespace veil;
using namespace veil::testing;

TEST_CASE("CUDA softmax and log_softmax agree with the CPU along any dimension", "[cuda][softmax]") {
  const Device g = gpu();
  for (DType dtype : {DType::Float32, DType::Float64}) {
    const double tol = dtype == DType::Float32 ? 1e-6 : 1e-14;
    const Tensor x = rand({5, 12, 7}, 1, dtype, -20.0, 20.0);
    for (int dim : {-1, 1, 0}) {
      INFO("dtype " << dtype << ", dim " << dim);
      require_agrees(softmax_kernel(x.to(g), dim), softmax_kernel(x, dim), tol, tol);
      require_agrees(log_softmax_kernel(x.to(g), dim), log_softmax_kernel(x, dim), tol, tol);
    }
  }
}

TEST_CASE("CUDA cross_entropy and its backward agree with the CPU", "[cuda][softmax]") {
  const Device g = gpu();
  const Tensor logits = rand({33, 10}, 2, DType::Float32, -5.0, 5.0);
  const Tensor labels = Tensor::from_vector<std::int64_t>(
      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 3, 3, 3, 1, 1, 1, 0, 0, 7, 7, 2, 5, 6}, {33});
  const CrossEntropyForward cpu = cross_entropy_kernel(logits, labels, 1.0 / 33);
  const CrossEntropyForward cuda = cross_entropy_kernel(logits.to(g), labels.to(g), 1.0 / 33);
  require_agrees(cuda.loss, cpu.loss, 1e-6, 1e-6);
  require_agrees(cuda.probs, cpu.probs, 1e-7, 1e-6);
  require_agrees(cross_entropy_backward_kernel(cuda.probs, labels.to(g), 0.5),
                 cross_entropy_backward_kernel(cpu.probs, labels, 0.5), 1e-7, 1e-6);
}

TEST_CASE("CUDA cross_entropy names a label outside the classes at the next host read", "[cuda][softmax]") {
  // Note [Deferred device errors]: the launch returns, the read raises once.
  const Device g = gpu();
  const Tensor logits = rand({3, 4}, 3, DType::Float32).to(g);
  const Tensor labels = Tensor::from_vector<std::int64_t>({1, 4, -2}, {3}).to(g);
  CrossEntropyForward forward;
  REQUIRE_NOTHROW(forward = cross_entropy_kernel(logits, labels, 1.0));
  REQUIRE_THAT(error_message([&] { forward.loss.item(); }),
               Catch::Contains("label 4 of example 1 is outside [0, 4)"));
  REQUIRE(std::isnan(forward.loss.item()));  // raised and cleared; the loss of a bad batch is NaN
  REQUIRE_NOTHROW(cross_entropy_kernel(logits.slice(0, 0, 1), labels.slice(0, 0, 1), 1.0).loss.item());
}

TEST_CASE("CUDA cross_entropy of an empty batch is 0 with an empty gradient, like the CPU's", "[cuda][softmax]") {
  // A Poisson step may draw no example.
  const Device g = gpu();
  const Tensor logits = Tensor::zeros({0, 10}, DType::Float32);
  const Tensor labels = Tensor::zeros({0}, DType::Int64);
  const CrossEntropyForward cpu = cross_entropy_kernel(logits, labels, 1.0);
  const CrossEntropyForward cuda = cross_entropy_kernel(logits.to(g), labels.to(g), 1.0);
  require_bitwise_agrees(cuda.loss, cpu.loss);
  REQUIRE(cuda.probs.shape() == Shape{0, 10});
  REQUIRE(cross_entropy_backward_kernel(cuda.probs, labels.to(g), 1.0).shape() == Shape{0, 10});
}
