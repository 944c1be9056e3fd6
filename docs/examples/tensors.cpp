// Core types: Tensor, ops and autograd (docs/guide.md, "Core types").
#include <iostream>
#include <vector>

#include <veil/veil.h>

using namespace veil;

int main() try {
  // A Tensor is a handle: copies share the storage, clone() copies it.
  Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor alias = x;
  Tensor copy = x.clone();
  alias.mul_(2.0);  // x sees it, copy does not
  VEIL_CHECK(x.to_vector<float>()[0] == 2.0f && copy.to_vector<float>()[0] == 1.0f);

  // Ops record a graph when an input requires grad; backward() fills .grad.
  Tensor w = Tensor::ones({3});
  w.set_requires_grad(true);
  Tensor loss = sum(relu(x * w));  // [2, 3] * [3] broadcasts
  loss.backward();
  VEIL_CHECK(w.grad().to_vector<float>() == std::vector<float>({10, 14, 18})) << w.grad();

  // Evaluation and hand-written updates run without recording.
  {
    NoGradGuard no_grad;
    Tensor y = matmul(x, Tensor::ones({3, 1}));
    VEIL_CHECK(!y.requires_grad());
  }
  std::cout << "x = " << x << "\ndloss/dw = " << w.grad() << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << e.what() << "\n";
  return 1;
}
