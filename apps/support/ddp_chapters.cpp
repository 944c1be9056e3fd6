#include "support/ddp_chapters.h"

#include <cmath>
#include <cstdio>
#include <ostream>

#include "veil/autograd/grad_mode.h"
#include "veil/autograd/ops.h"
#include "veil/distributed/make_private.h"
#include "veil/layers/losses.h"

namespace veil {

void show_loaders(std::ostream& os, const data::DataLoader& loader, int workers) {
  const std::int64_t n = loader.dataset().size(), batch = loader.batch_size();
  os << "Non-distributed loader: #batches " << loader.steps_per_epoch() << ", #data points " << n << ", batch size "
     << batch << "\n";
  // A DistributedSampler pads the data set to a multiple of W and gives each
  // rank N/W examples, in batches of B/W.
  const std::int64_t shard = (n + workers - 1) / workers, local_batch = std::max<std::int64_t>(1, batch / workers);
  os << "Distributed loader (rank 0 of " << workers << "): #batches " << (shard + local_batch - 1) / local_batch
     << ", #data points " << shard << ", batch size " << local_batch << "\n";
  // veil's: every rank keeps the examples i % W == rank of one Poisson draw
  // at the global rate q.
  const data::DPDataLoader priv(loader, 0, 0, workers);
  char rate[32];
  std::snprintf(rate, sizeof(rate), "%.6f", priv.sample_rate());
  os << "Distributed private loader (rank 0 of " << workers << "): #batches " << priv.steps_per_epoch()
     << ", #data points " << shard << ", sample rate " << rate << ", average batch size "
     << static_cast<std::int64_t>(priv.sample_rate() * static_cast<double>(shard)) << std::endl;
}

namespace {

double norm(const std::vector<Tensor>& tensors) {
  double sq = 0;
  for (const Tensor& t : tensors) sq += sum(mul(t, t)).item();
  return std::sqrt(sq);
}

std::string summary(const std::vector<Tensor>& grads) {
  const auto v = grads[0].to_vector<float>();
  char text[160];
  std::snprintf(text, sizeof(text), "|grad| = %.6f, first values [%.6f, %.6f, %.6f]", norm(grads), v[0], v[1], v[2]);
  return text;
}

// Writes each rank's text in rank order (stdout, bypassing rank 0's silence).
void print_in_rank_order(distributed::ProcessGroup& group, const std::string& text) {
  for (int r = 0; r < group.size(); ++r) {
    if (r == group.rank()) std::fputs(text.c_str(), stdout), std::fflush(stdout);
    group.barrier();
  }
}

}  // namespace

int sync_demo(distributed::DPDDP& ddp, const data::DataLoader& loader, double lr, std::uint64_t seed) {
  distributed::ProcessGroup& group = ddp.group();
  Module& model = ddp.module();
  PrivacyEngine engine;
  auto priv = distributed::make_private(engine, ddp, std::make_unique<SGD>(model.parameters(), SGDOptions{lr}), loader,
                                        /*noise_multiplier=*/0.0, /*max_grad_norm=*/100.0, {.seed = seed});
  const auto indices = priv.loader->indices(0);
  const data::Batch batch = loader.dataset().gather(indices);
  cross_entropy(ddp(batch.inputs), batch.targets).backward();
  priv.optimizer->accumulate_microbatch();  // this rank's clipped sums

  NoGradGuard no_grad;
  const std::vector<Tensor> params = model.parameters();
  const double local_expected = priv.optimizer->options().expected_batch_size / group.size();
  std::vector<Tensor> before, average, weights;
  for (std::size_t k = 0; k < params.size(); ++k) {
    const Tensor& p = params[k];
    const Tensor& sum = priv.optimizer->pending_sums()[k];  // undefined when this rank's batch is empty
    before.push_back(sum.defined() ? mul_scalar(sum, 1.0 / local_expected) : Tensor::zeros(p.shape()));
    average.push_back(before.back().clone());
    weights.push_back(p.clone());
  }
  group.all_reduce_sum_(average);
  for (Tensor& a : average) a.mul_(1.0 / group.size());

  priv.optimizer->step();
  std::vector<Tensor> applied;
  for (std::size_t k = 0; k < params.size(); ++k) applied.push_back(mul_scalar(sub(weights[k], params[k]), 1.0 / lr));
  double max_diff = 0;
  for (std::size_t k = 0; k < params.size(); ++k)
    for (float d : sub(applied[k], average[k]).to_vector<float>()) max_diff = std::max(max_diff, std::fabs(double(d)));

  const std::string rank = "rank " + std::to_string(group.rank()) + ": ";
  print_in_rank_order(group, rank + "before step(): " + summary(before) + " (" + std::to_string(indices.size()) +
                                 " local examples)\n");
  print_in_rank_order(group, rank + "after step():  " + summary(applied) + "\n");
  if (group.rank() == 0) {
    char diff[64];
    std::snprintf(diff, sizeof(diff), "%.2e", max_diff);
    std::printf("average of the workers' gradients before step(): %s\nlargest difference from the applied gradient: %s\n",
                summary(average).c_str(), diff);
  }
  ddp.check_in_sync();
  return 0;
}

}  // namespace veil
