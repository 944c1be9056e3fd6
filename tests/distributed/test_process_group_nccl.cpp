// The NCCL process group on GPU tensors. Alone it is a world of one over the
// single-process group; `mpirun -np N` (one GPU per rank) runs the same
// checks over N ranks, each building its inputs from its rank. Exits 77
// (CTest's skip) where no GPU is visible.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cuda_runtime.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "support/test_data.h"
#include "veil/core/cuda/cuda_context.h"
#include "veil/core/device_runtime.h"
#include "veil/core/host_reads.h"
#include "veil/distributed/dpddp.h"
#include "veil/distributed/launch.h"
#include "veil/distributed/process_group_nccl.h"
#include "veil/layers/linear.h"
#include "veil/layers/losses.h"
#include "veil/optim/optimizer.h"
#include "veil/privacy/dp_optimizer.h"

using namespace veil;

namespace {
distributed::ProcessGroup* bootstrap = nullptr;
distributed::NcclProcessGroup* nccl = nullptr;

// Holds a GPU stream until released: a host function queued on it blocks.
class StreamBlocker {
 public:
  explicit StreamBlocker(cudaStream_t stream) {
    REQUIRE(cudaLaunchHostFunc(stream, &StreamBlocker::hold, &released_) == cudaSuccess);
  }
  void release() { released_ = true; }

 private:
  static void CUDART_CB hold(void* flag) {
    while (!static_cast<std::atomic<bool>*>(flag)->load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::atomic<bool> released_{false};
};

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

TEST_CASE("NCCL collectives are queued behind their producers and read nothing back", "[distributed][nccl][cuda]") {
  auto& g = *nccl;
  const int r = g.rank(), w = g.size();
  const Device gpu = Device::cuda(g.device());
  Tensor t = Tensor::ones({1 << 20}, DType::Float32, gpu);
  Tensor b = Tensor::full({3}, 1.0 + r).to(gpu);
  const std::uint64_t before = host_read_count();
  t.mul_(static_cast<double>(r + 1));  // a producer just before the collective
  g.all_reduce_sum_({t});
  t.mul_(2.0);  // a consumer just after it
  g.broadcast_({b}, 0);
  CHECK(host_read_count() == before);
  const auto sums = t.to(Device::cpu()).to_vector<float>();
  CHECK(sums.front() == static_cast<float>(w * (w + 1)));
  CHECK(sums.back() == static_cast<float>(w * (w + 1)));
  CHECK(b.to(Device::cpu()).to_vector<float>() == std::vector<float>(3, 1.0f));
}

TEST_CASE("A DP step over NCCL makes no host read", "[distributed][nccl][cuda]") {
  auto& g = *nccl;
  const Device gpu = Device::cuda(g.device());
  Linear model(6, 3, 4);
  model.to(gpu);
  distributed::DPDDP ddp(model, g);
  DPOptimizerOptions options;
  options.noise_multiplier = 1.0;
  options.clipping.max_grad_norm = 1.0;
  options.expected_batch_size = 4.0 * g.size();
  options.sample_rate = 0.01;
  options.noise_seed = 5;
  DPOptimizer dp(model, std::make_unique<SGD>(model.parameters(), SGDOptions{0.1}), options, &g);
  const Tensor x = Tensor::uniform({4, 6}, -1, 1, 10 + static_cast<std::uint64_t>(g.rank())).to(gpu);
  const Tensor y = Tensor::from_vector<std::int64_t>({0, 1, 2, 1}, {4}).to(gpu);
  std::uint64_t reads = 0;
  for (int step = 0; step < 2; ++step) {  // the first warms up what is built lazily
    const std::uint64_t before = host_read_count();
    dp.zero_grad();
    cross_entropy(model(x), y).backward();
    dp.step();
    reads = host_read_count() - before;
  }
  CHECK(reads == 0);
  ddp.check_in_sync();
}

// Last: it aborts a communicator of its own. Rank 0's stream is held, so its
// collective cannot start and the others' cannot finish: every rank's
// collective is queued at once and times out at the next host read.
TEST_CASE("A stuck NCCL collective times out at the next host read, naming rank and operation",
          "[distributed][nccl][cuda]") {
  distributed::NcclProcessGroup impatient(*bootstrap, 0.5);
  const Device gpu = Device::cuda(impatient.device());
  Tensor t = Tensor::ones({8}, DType::Float32, gpu);
  synchronize(gpu);
  StreamBlocker blocker(cuda::stream_for(gpu));
  std::thread releaser;
  if (impatient.rank() == 0) {
    releaser = std::thread([&blocker] {
      std::this_thread::sleep_for(std::chrono::seconds(2));
      blocker.release();
    });
  } else {
    blocker.release();
  }
  const auto start = std::chrono::steady_clock::now();
  impatient.all_reduce_sum_({t});
  // Not a timing: a host wait here would last until the release, 2 s away.
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < 1.0);
  const std::string message = testing::error_message([&] { t.to(Device::cpu()); });
  INFO(message);
  CHECK(message.find(distributed::rank_label(impatient) + ": all_reduce_sum_ timed out after 0.5") !=
        std::string::npos);
  CHECK(testing::error_message([&] { impatient.all_reduce_sum_({t}); }).find("earlier collective failed") !=
        std::string::npos);
  if (releaser.joinable()) releaser.join();
  synchronize(gpu);
}

int main(int argc, char** argv) {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::cout << "no GPU visible: skipped\n";
    return 77;
  }
  auto boot = distributed::process_group_from_environment();
  distributed::NcclProcessGroup group(*boot, 60);
  bootstrap = boot.get();
  nccl = &group;
  const int failures = Catch::Session().run(argc, argv);
  int total = 0;
  for (int f : boot->all_gather(failures)) total += f;
  return total > 0 ? 1 : 0;
}
