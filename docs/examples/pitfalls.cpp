// Privacy pitfalls that veil catches or makes visible (docs/guide.md,
// "Pitfalls").
#include <iostream>
#include <memory>

#include <veil/layers/batch_norm.h>  // not in veil.h: DP training refuses it
#include <veil/veil.h>

using namespace veil;

int main() try {
  // BatchNorm mixes the examples of a batch: the validator names it, and
  // make_private refuses the model. GroupNorm normalises each example alone.
  Sequential with_batch_norm({std::make_shared<Conv2d>(1, 8, /*kernel=*/3, /*seed=*/1),
                              std::make_shared<BatchNorm2d>(8), std::make_shared<ReLU>()});
  for (const std::string& problem : validate_for_dp(with_batch_norm)) std::cout << "refused: " << problem << "\n";
  Sequential with_group_norm({std::make_shared<Conv2d>(1, 8, /*kernel=*/3, /*seed=*/1),
                              std::make_shared<GroupNorm>(/*num_groups=*/2, /*num_channels=*/8),
                              std::make_shared<ReLU>()});
  VEIL_CHECK(!validate_for_dp(with_batch_norm).empty() && validate_for_dp(with_group_norm).empty());

  // Poisson batches vary in size (and may be empty); the DPOptimizer divides
  // by the expected size q*N, never by the size it happened to draw.
  auto dataset = std::make_shared<data::TensorDataset>(Tensor::zeros({1000, 2}),
                                                       Tensor::zeros({1000}, DType::Int64));
  data::DPDataLoader poisson(dataset, /*sample_rate=*/0.01, /*seed=*/2);
  std::cout << "expected batch " << poisson.expected_batch_size() << ", drawn:";
  for (std::int64_t step = 0; step < 8; ++step) std::cout << " " << poisson.indices(step).size();
  std::cout << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << e.what() << "\n";
  return 1;
}
