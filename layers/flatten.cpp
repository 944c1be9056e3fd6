#include "veil/layers/flatten.h"

#include <sstream>

#include "veil/core/error.h"

namespace veil {

Flatten::Flatten(int start_dim, int end_dim) : Module("Flatten"), start_dim_(start_dim), end_dim_(end_dim) {}

std::string Flatten::describe() const {
  std::ostringstream os;
  os << "Flatten(start_dim=" << start_dim_ << ", end_dim=" << end_dim_ << ")";
  return os.str();
}

Tensor Flatten::forward(const Tensor& input) {
  const int rank = input.dim();
  VEIL_CHECK(start_dim_ >= -rank && start_dim_ < rank && end_dim_ >= -rank && end_dim_ < rank)
      << describe() << " does not fit an input of shape " << input.shape();
  return input.flatten(start_dim_, end_dim_);
}

}  // namespace veil
