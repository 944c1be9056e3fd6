// CUDA optimizer updates against the CPU's, over several steps so that the
// state buffers carry over.
#include <catch2/catch.hpp>

#include <cmath>

#include "support/cuda_agreement.h"
#include "veil/core/optimizer_kernels.h"

using namespace veil;
using namespace veil::testing;

TEST_CASE("CUDA SGD steps agree with the CPU, with and without momentum", "[cuda][optimizer]") {
  const Device g = gpu();
  for (double momentum : {0.0, 0.9})
    for (bool nesterov : {false, true}) {
      if (momentum == 0.0 && nesterov) continue;
      INFO("momentum " << momentum << ", nesterov " << nesterov);
      Tensor w = rand({1000}, 1, DType::Float32), buf = Tensor::zeros({1000}, DType::Float32);
      const Tensor wg = w.to(g), bufg = buf.to(g);
      for (int step = 0; step < 3; ++step) {
        const Tensor grad = rand({1000}, 10 + step, DType::Float32);
        const SgdStep s{0.1, 1e-3, momentum, 0.1, nesterov, step == 0};
        sgd_step_(w, grad, buf, s);
        sgd_step_(wg, grad.to(g), bufg, s);
      }
      require_agrees(wg, w, 1e-6, 1e-6);
      if (momentum != 0.0) require_agrees(bufg, buf, 1e-6, 1e-6);
    }
}

TEST_CASE("CUDA Adam and AdamW steps agree with the CPU", "[cuda][optimizer]") {
  const Device g = gpu();
  for (bool decoupled : {false, true}) {
    INFO("decoupled weight decay " << decoupled);
    Tensor w = rand({777}, 2, DType::Float64), m = Tensor::zeros({777}, DType::Float64),
           v = Tensor::zeros({777}, DType::Float64);
    const Tensor wg = w.to(g), mg = m.to(g), vg = v.to(g);
    for (int t = 1; t <= 3; ++t) {
      const Tensor grad = rand({777}, 20 + t, DType::Float64);
      const AdamStep s{1e-2, 0.9, 0.999, 1e-8, 1e-2, decoupled, 1 - std::pow(0.9, t), 1 - std::pow(0.999, t)};
      adam_step_(w, grad, m, v, s);
      adam_step_(wg, grad.to(g), mg, vg, s);
    }
    require_agrees(wg, w, 1e-13, 1e-13);
    require_agrees(mg, m, 1e-15, 1e-13);
    require_agrees(vg, v, 1e-15, 1e-13);
  }
}
