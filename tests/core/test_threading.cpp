// Results do not depend on the thread count: every op gives bit-identical
// results with one and with two OpenMP threads (DP training must be
// reproducible across machines).
#include <catch2/catch.hpp>

#include <functional>
#include <vector>

#include "support/core_check.h"
#include "veil/core/cpu/gemm.h"
#include "veil/autograd/ops.h"
#include "veil/core/parallel.h"
#include "veil/core/tensor.h"
#include "veil/layers/losses.h"
#include "veil/layers/sample_conv_net.h"

using namespace veil;
using namespace veil::testing;

namespace {

// Runs fn with 1 and with 2 threads and requires identical outputs.
void require_thread_independent(const char* name, const std::function<std::vector<Tensor>()>& fn) {
  INFO(name);
  const int saved = num_threads();
  set_num_threads(1);
  const auto one = fn();
  set_num_threads(2);
  const auto two = fn();
  set_num_threads(saved);
  REQUIRE(one.size() == two.size());
  for (std::size_t i = 0; i < one.size(); ++i) {
    INFO("output " << i);
    require_identical(one[i], two[i]);
  }
}

}  // namespace

TEST_CASE("set_num_threads controls num_threads and rejects 0", "[threads]") {
  const int saved = num_threads();
  set_num_threads(1);
  REQUIRE(num_threads() == 1);
  set_num_threads(2);
  REQUIRE(num_threads() == 2);
  REQUIRE_THAT(error_message([] { set_num_threads(0); }), Catch::Contains("0"));
  set_num_threads(saved);
}

TEST_CASE("reductions are identical with 1 and 2 threads", "[threads]") {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    const Tensor x = rand({300, 257}, 1, dtype);
    const Tensor x3 = rand({40, 50, 30}, 2, dtype);
    require_thread_independent("sum/mean", [&] {
      return std::vector<Tensor>{sum(x),
                                 sum(x, {0}),
                                 sum(x, {1}),
                                 mean(x, {0}, true),
                                 sum(x.transpose(0, 1), {1}),
                                 sum(x3, {0, 2}),
                                 sum(x3, {0, 1}),
                                 mean(x3, {1}),
                                 argmax(x3, 1),
                                 sum_to(x3, {50, 1})};
    });
  }
}

TEST_CASE("matmul is identical with 1 and 2 threads, on and off the threaded GEMM path", "[threads]") {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    const Tensor a = rand({203, 150}, 3, dtype), b = rand({150, 170}, 4, dtype);  // 5.2e6 MACs
    const Tensor c = rand({37, 64}, 5, dtype), d = rand({64, 29}, 6, dtype);
    const Tensor ba = rand({6, 33, 40}, 7, dtype), bb = rand({6, 40, 21}, 8, dtype);
    require_thread_independent("matmul", [&] {
      return std::vector<Tensor>{matmul(a, b), matmul(b.transpose(0, 1), a.transpose(0, 1)), matmul(c, d),
                                 matmul(ba, bb), matmul(a.reshape({1, 203, 150}), b.reshape({1, 150, 170}))};
    });
  }
}

TEST_CASE("element-wise ops, softmax, conv helpers and pooling are identical with 1 and 2 threads", "[threads]") {
  const Tensor x = rand({64, 3, 20, 20}, 9, DType::Float32);  // 76800 elements: several chunks
  const Tensor bias = rand({3, 1, 1}, 10, DType::Float32);
  Conv2dGeometry g;
  g.kernel_h = g.kernel_w = 3;
  g.pad_h = g.pad_w = 1;
  Conv2dGeometry pool;
  pool.kernel_h = pool.kernel_w = pool.stride_h = pool.stride_w = 2;
  require_thread_independent("element-wise and friends", [&] {
    Tensor y = tanh(x * bias + 0.5);
    Tensor strided = exp(x.transpose(1, 3));
    Tensor in_place = x.clone();
    in_place.add_(y, 0.25);
    in_place.mul_(1.5);
    Tensor cols = im2col(x, g);
    return std::vector<Tensor>{y,
                               strided,
                               in_place,
                               softmax(x.reshape({-1, 400}), 1),
                               log_softmax(x.reshape({64, -1}), 0),
                               cols,
                               col2im(cols, 3, 20, 20, g),
                               max_pool2d(x, pool),
                               avg_pool2d(x, g)};
  });
}

TEST_CASE("backward through a small network is identical with 1 and 2 threads", "[threads]") {
  const Tensor input = rand({128, 64}, 11, DType::Float32);
  const Tensor w1_init = rand({64, 96}, 12, DType::Float32), w2_init = rand({96, 10}, 13, DType::Float32);
  require_thread_independent("backward", [&] {
    Tensor w1 = w1_init.clone().set_requires_grad(true);
    Tensor w2 = w2_init.clone().set_requires_grad(true);
    Tensor h = relu(matmul(input, w1));
    Tensor loss = mean(log_softmax(matmul(h, w2), 1));
    loss.backward();
    return std::vector<Tensor>{loss, w1.grad(), w2.grad()};
  });
}

TEST_CASE("cpu::gemm with transposes and beta is identical with 1 and 2 threads", "[threads][gemm]") {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      // m = 211 is not a multiple of any register block; 211 * 150 * 130 = 4.1e6 MACs.
      const std::int64_t m = 211, n = 150, k = 130;
      const Tensor a = rand(ta ? Shape{k, m} : Shape{m, k}, 40, DType::Float32);
      const Tensor b = rand(tb ? Shape{n, k} : Shape{k, n}, 41, DType::Float32);
      const Tensor c0 = rand({m, n}, 42, DType::Float32);
      INFO("trans_a " << ta << " trans_b " << tb);
      require_thread_independent("gemm", [&] {
        Tensor c = c0.clone();
        cpu::gemm<float>(ta, tb, m, n, k, 1.0f, a.data<float>(), a.size(1), b.data<float>(), b.size(1), 0.5f,
                         c.data<float>(), n);
        return std::vector<Tensor>{c};
      });
    }
  // Matrix-vector shapes (Eigen's GEMV kernels): n = 1 with many rows.
  const Tensor tall = rand({40000, 101}, 43, DType::Float32), vec = rand({101, 1}, 44, DType::Float32);
  require_thread_independent("gemv", [&] { return std::vector<Tensor>{matmul(tall, vec)}; });
}

TEST_CASE("SampleConvNet gradients, plain and per-sample, are identical with 1 and 2 threads", "[threads][layers]") {
  // Weight gradients sum over every row of the batch (B * positions); the
  // split of those rows must not follow the thread count.
  const Tensor images = rand({48, 1, 28, 28}, 14, DType::Float32, 0.0, 1.0);
  const Tensor labels = Tensor::from_vector<std::int64_t>(std::vector<std::int64_t>(48, 3), {48});
  for (GradSampleMode mode : {GradSampleMode::Off, GradSampleMode::Materialize, GradSampleMode::Ghost}) {
    INFO("route " << grad_sample_mode_name(mode));
    require_thread_independent("SampleConvNet", [&] {
      SampleConvNet net(15);
      net.set_per_sample({mode, LossReduction::Mean});
      cross_entropy(net(images), labels, LossReduction::Mean).backward();
      std::vector<Tensor> out;
      if (mode == GradSampleMode::Off) {
        for (const Tensor& p : net.parameters()) out.push_back(p.grad());
        return out;
      }
      for (PerSampleLayer* layer : net.per_sample_layers()) {
        for (const Tensor& norm : layer->per_sample_sq_norms()) out.push_back(norm);
        std::vector<Tensor> coeffs;
        for (std::size_t p = 0; p < layer->per_sample_parameters().size(); ++p)
          coeffs.push_back(Tensor::full({48}, 0.5, DType::Float64));
        layer->accumulate_weighted_grads(coeffs);
      }
      for (const Tensor& p : net.parameters()) out.push_back(p.grad());
      return out;
    });
  }
}
