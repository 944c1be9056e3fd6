#include "veil/layers/sequential.h"

#include "veil/core/error.h"

namespace veil {

Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules) : Module("Sequential") {
  for (const auto& module : modules) add(module);
}

Sequential& Sequential::add(std::shared_ptr<Module> module) {
  register_module(std::to_string(size()), std::move(module));
  return *this;
}

const std::shared_ptr<Module>& Sequential::at(std::size_t index) const {
  VEIL_CHECK(index < size()) << "Sequential::at(" << index << ") with " << size() << " modules";
  return children()[index].second;
}

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  for (const auto& [name, module] : children()) x = (*module)(x);
  return x;
}

}  // namespace veil
