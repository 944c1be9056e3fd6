// Writing a model (docs/guide.md, "Writing a model").
#include <iostream>
#include <memory>

#include <veil/veil.h>

using namespace veil;

// A small CNN for [B, 1, 28, 28] images. Children registered in the
// constructor are visible to parameters(), state_dict(), to(), train()/eval()
// and the privacy engine; forward() says how they connect.
class SmallCnn : public Module {
 public:
  explicit SmallCnn(std::uint64_t seed)
      : Module("SmallCnn"),
        conv_(register_module("conv", std::make_shared<Conv2d>(1, 8, /*kernel=*/3, seed, /*stride=*/2))),
        norm_(register_module("norm", std::make_shared<GroupNorm>(/*num_groups=*/2, /*num_channels=*/8))),
        head_(register_module("head", std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
                                          std::make_shared<Flatten>(),
                                          std::make_shared<Linear>(8 * 13 * 13, 10, seed + 1)}))) {}

  Tensor forward(const Tensor& x) override { return (*head_)(relu((*norm_)((*conv_)(x)))); }

 private:
  std::shared_ptr<Conv2d> conv_;
  std::shared_ptr<GroupNorm> norm_;
  std::shared_ptr<Sequential> head_;
};

int main() try {
  SmallCnn model(/*seed=*/1);
  std::cout << model.to_string() << "\nparameters: " << model.num_parameters() << "\n";
  for (const auto& [name, p] : model.named_parameters()) std::cout << "  " << name << " " << p.shape() << "\n";

  Tensor logits = model(Tensor::normal({4, 1, 28, 28}, 0.0, 1.0, /*seed=*/2));
  VEIL_CHECK(logits.shape() == Shape({4, 10})) << logits.shape();
  VEIL_CHECK(validate_for_dp(model).empty());  // every parametric layer has a per-sample rule
  return 0;
} catch (const std::exception& e) {
  std::cerr << e.what() << "\n";
  return 1;
}
