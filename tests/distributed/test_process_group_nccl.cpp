// The NCCL process group on GPU tensors. Alone it is a world of one over the
// single-process group; `mpirun -np N` (one GPU per rank) runs the same
// checks over N ranks, each building its inputs from its rank. Exits 77
// (CTest's skip) where no GPU is visible.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cuda_runtime.h>

#include <iostream>

#include "support/test_data.h"
#include "veil/distributed/dpddp.h"
#include "veil/distributed/launch.h"
#include "veil/distributed/process_group_nccl.h"
#include "veil/layers/linear.h"

using namespace veil;

namespace {
distributed::NcclProcessGroup* nccl = nullptr;
}  // namespace

TEST_CASE("NCCL collectives sum and broadcast GPU tensors", "[distributed][nccl][cuda]") {
  auto& g = *nccl;
  const int r = g.rank(), w = g.size();
  const Device gpu = Device::cuda(g.device());
  std::vector<float> f(1000);
  for (std::size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(r * 1000 + 0.5 * i);
  Tensor t = Tensor::from_vector(f, {1000}).to(gpu);
  Tensor n = Tensor::from_vector<std::int64_t>({r, 7}, {2}).to(gpu);
  g.all_reduce_sum_({t, n});
  const auto rf = t.to(Device::cpu()).to_vector<float>();
  for (std::size_t i = 0; i < f.size(); ++i) CHECK(rf[i] == static_cast<float>(w * (w - 1) / 2 * 1000 + w * 0.5 * i));
  CHECK(n.to(Device::cpu()).to_vector<std::int64_t>() == std::vector<std::int64_t>{w * (w - 1) / 2, 7 * w});

  Tensor b = Tensor::full({5}, 3.0 + r).to(gpu);
  g.broadcast_({b}, w - 1);
  CHECK(b.to(Device::cpu()).to_vector<float>() == std::vector<float>(5, static_cast<float>(2 + w)));
  g.barrier();
  CHECK(g.all_gather(r).size() == static_cast<std::size_t>(w));

  Tensor host = Tensor::zeros({3});
  CHECK(testing::error_message([&] { g.all_reduce_sum_({host}); }).find("takes tensors on cuda") != std::string::npos);
}

TEST_CASE("DPDDP broadcasts rank 0's GPU parameters over NCCL", "[distributed][nccl][cuda]") {
  Linear model(8, 4, 1 + nccl->rank());
  model.to(Device::cuda(nccl->device()));
  distributed::DPDDP ddp(model, *nccl);
  Linear reference(8, 4, 1);
  model.to(Device::cpu());
  CHECK(distributed::state_hash(model) == distributed::state_hash(reference));
}

int main(int argc, char** argv) {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::cout << "no GPU visible: skipped\n";
    return 77;
  }
  auto boot = distributed::process_group_from_environment();
  distributed::NcclProcessGroup group(*boot, 60);
  nccl = &group;
  const int failures = Catch::Session().run(argc, argv);
  int total = 0;
  for (int f : boot->all_gather(failures)) total += f;
  return total > 0 ? 1 : 0;
}
