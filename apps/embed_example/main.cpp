// Trains a small custom model with DP-SGD on synthetic data and reports the
// privacy spent. Built against an installed veil (see README.md).
#include <cstdint>
#include <exception>
#include <iostream>
#include <memory>

#include <veil/veil.h>

namespace {

// A custom model: Linear -> LayerNorm -> tanh -> Linear. Children registered
// in the constructor are what parameters(), state_dict() and the privacy
// engine see; every one of them has a per-sample gradient rule.
class TabularNet : public veil::Module {
 public:
  TabularNet(std::int64_t features, std::int64_t hidden, std::int64_t classes, std::uint64_t seed)
      : Module("TabularNet"),
        fc1_(register_module("fc1", std::make_shared<veil::Linear>(features, hidden, seed))),
        norm_(register_module("norm", std::make_shared<veil::LayerNorm>(veil::Shape{hidden}))),
        fc2_(register_module("fc2", std::make_shared<veil::Linear>(hidden, classes, seed + 1))) {}

  veil::Tensor forward(const veil::Tensor& x) override { return (*fc2_)(veil::tanh((*norm_)((*fc1_)(x)))); }

 private:
  std::shared_ptr<veil::Linear> fc1_;
  std::shared_ptr<veil::LayerNorm> norm_;
  std::shared_ptr<veil::Linear> fc2_;
};

// Gaussian features [n, d]; the label is the class a fixed random linear
// "teacher" scores highest, so the task is learnable.
std::shared_ptr<veil::data::TensorDataset> synthetic_dataset(std::int64_t n, std::int64_t d, std::int64_t classes,
                                                             std::uint64_t seed) {
  veil::Tensor x = veil::Tensor::normal({n, d}, 0.0, 1.0, seed, /*stream=*/0);
  veil::Tensor teacher = veil::Tensor::normal({d, classes}, 0.0, 1.0, seed, /*stream=*/1);
  return std::make_shared<veil::data::TensorDataset>(x, veil::argmax(veil::matmul(x, teacher), 1));
}

double accuracy(veil::Module& model, const veil::data::TensorDataset& ds) {
  veil::NoGradGuard no_grad;
  const auto predicted = veil::argmax(model(ds.inputs()), 1).to_vector<std::int64_t>();
  const auto labels = ds.targets().to_vector<std::int64_t>();
  std::int64_t correct = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) correct += predicted[i] == labels[i];
  return static_cast<double>(correct) / static_cast<double>(labels.size());
}

}  // namespace

int main() try {
  constexpr std::int64_t kExamples = 2048, kFeatures = 16, kClasses = 3, kEpochs = 3;
  constexpr double kDelta = 1e-5;
  auto train = synthetic_dataset(kExamples, kFeatures, kClasses, /*seed=*/7);
  TabularNet model(kFeatures, 32, kClasses, /*seed=*/1);
  std::cout << model.to_string() << "\n";

  // The batch size sets the sample rate q = 64 / 2048; make_private swaps
  // this loader for a Poisson one with that rate, as the accountant assumes.
  veil::data::DataLoader loader(train, /*batch_size=*/64, /*shuffle=*/true, /*drop_last=*/false, /*seed=*/3);
  veil::PrivacyEngine engine("rdp");
  auto priv = engine.make_private(model, std::make_unique<veil::SGD>(model.parameters(), veil::SGDOptions{.lr = 0.5}),
                                  loader, /*noise_multiplier=*/1.0, /*max_grad_norm=*/1.0);

  std::cout << "accuracy before training: " << accuracy(model, *train) << "\n";
  const std::int64_t steps = priv.loader->steps_per_epoch();
  for (std::int64_t epoch = 0; epoch < kEpochs; ++epoch) {
    priv.loader->for_each_batch(epoch * steps, (epoch + 1) * steps, [&](std::int64_t, const veil::data::Batch& b) {
      veil::cross_entropy(model(b.inputs), b.targets).backward();
      priv.optimizer->step();
    });
    std::cout << "epoch " << epoch << ": accuracy " << accuracy(model, *train) << "\n";
  }
  std::cout << "epsilon = " << engine.get_epsilon(kDelta).epsilon << " (delta = " << kDelta << ", "
            << priv.optimizer->steps_taken() << " steps)\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "embed_example: " << e.what() << "\n";
  return 1;
}
