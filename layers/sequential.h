#pragma once
// Sequential: a chain of modules applied in order, y = m_{n-1}(...m_0(x)).
// Children are named by position ("0", "1", ...), so parameters read
// "0.weight", "2.bias" as in PyTorch. An empty Sequential is the identity.
//
//   auto net = std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
//       std::make_shared<Linear>(784, 32, 1), std::make_shared<ReLU>(), std::make_shared<Linear>(32, 10, 2)});
//   net->add(std::make_shared<Dropout>(0.1, 3));
#include <initializer_list>
#include <memory>

#include "veil/layers/module.h"

namespace veil {

class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  Sequential(std::initializer_list<std::shared_ptr<Module>> modules);

  // Appends a module under the next position name; returns *this.
  Sequential& add(std::shared_ptr<Module> module);
  Tensor forward(const Tensor& input) override;

  std::size_t size() const { return children().size(); }
  // The module at `index`; throws when out of range.
  const std::shared_ptr<Module>& at(std::size_t index) const;
};

}  // namespace veil
