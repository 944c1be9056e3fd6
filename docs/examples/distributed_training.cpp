// Data-parallel DP training (docs/guide.md, "Distributed training"). Started
// alone it is a world of one; `mpirun -np 2` makes it two workers.
#include <iostream>
#include <memory>
#include <vector>

#include <veil/veil.h>

using namespace veil;

namespace {

std::shared_ptr<data::TensorDataset> blobs(std::int64_t n, std::uint64_t seed) {
  Tensor x = Tensor::normal({n, 8}, 0.0, 1.0, seed);
  std::vector<std::int64_t> labels(n);
  float* p = x.data<float>();
  for (std::int64_t i = 0; i < n; ++i) {
    labels[i] = i % 2;
    p[i * 8] += labels[i] ? 2.0f : -2.0f;
  }
  return std::make_shared<data::TensorDataset>(x, Tensor::from_vector(labels, {n}));
}

}  // namespace

int main() try {
  auto train = blobs(1000, /*seed=*/1);
  Sequential model;
  model.add(std::make_shared<Linear>(8, 16, 2)).add(std::make_shared<ReLU>()).add(std::make_shared<Linear>(16, 2, 3));
  data::DataLoader loader(train, /*batch_size=*/50, /*shuffle=*/true, /*drop_last=*/false, /*seed=*/3);

  // The group comes from the launcher (mpirun, srun) or is a world of one.
  auto group = distributed::process_group_from_environment();
  distributed::DPDDP ddp(model, *group);  // every rank now holds rank 0's weights
  PrivacyEngine engine("rdp");
  auto priv = distributed::make_private(engine, ddp, std::make_unique<SGD>(model.parameters(), SGDOptions{.lr = 0.2}),
                                        loader, /*noise_multiplier=*/1.1, /*max_grad_norm=*/1.0);
  // q stays 50 / 1000 for the global batch; each rank samples its own shard.
  priv.loader->for_each_batch(0, 2 * priv.loader->steps_per_epoch(), [&](std::int64_t, const data::Batch& batch) {
    cross_entropy(ddp(batch.inputs), batch.targets).backward();  // nothing is synchronised here
    priv.optimizer->step();  // clip, rank 0 adds noise, all-reduce, divide by q*N, update
  });
  ddp.check_in_sync();  // the replicas are bit-identical
  const double epsilon = engine.get_epsilon(/*delta=*/1e-5).epsilon;
  if (group->rank() == 0) std::cout << group->size() << " worker(s), epsilon " << epsilon << " at delta 1e-5\n";
  VEIL_CHECK(epsilon > 0 && priv.optimizer->steps_taken() == 40);
  return 0;
} catch (const std::exception& e) {
  std::cerr << e.what() << "\n";
  return 1;
}
