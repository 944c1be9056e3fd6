#include "veil/distributed/dpddp.h"

#include <sstream>

#include "veil/core/error.h"

namespace veil::distributed {

namespace {

struct Fnv1a {
  std::uint64_t value = 14695981039346656037ull;
  void add(const void* data, std::size_t bytes) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < bytes; ++i) value = (value ^ p[i]) * 1099511628211ull;
  }
  void add(const std::string& s) { add(s.data(), s.size() + 1); }  // with the terminator: "ab","c" != "a","bc"
};

std::vector<std::pair<std::string, Tensor>> state_tensors(const Module& model) {
  auto all = model.named_parameters();
  for (auto& buffer : model.named_buffers()) all.push_back(buffer);
  return all;
}

// Names, dtypes and shapes only: what must agree before anything is sent.
std::uint64_t layout_hash(const Module& model) {
  Fnv1a h;
  for (const auto& [name, t] : state_tensors(model)) {
    h.add(name);
    const auto dtype = static_cast<std::uint8_t>(t.dtype());
    h.add(&dtype, 1);
    h.add(t.shape().data(), t.shape().size() * sizeof(std::int64_t));
  }
  return h.value;
}

// The ranks whose value differs from rank 0's, as "1, 3".
template <typename T>
std::string ranks_differing(const std::vector<T>& values) {
  std::ostringstream os;
  for (std::size_t r = 1; r < values.size(); ++r)
    if (values[r] != values[0]) os << (os.tellp() > 0 ? ", " : "") << r;
  return os.str();
}

}  // namespace

std::uint64_t state_hash(const Module& model) {
  Fnv1a h;
  h.value = layout_hash(model);
  for (const auto& [name, t] : state_tensors(model)) {
    const Tensor c = t.contiguous().to(Device::cpu());
    h.add(c.raw_data(), static_cast<std::size_t>(c.numel()) * dtype_size(c.dtype()));
  }
  return h.value;
}

DPDDP::DPDDP(Module& model, ProcessGroup& group) : model_(model), group_(group) {
  const std::string differ = ranks_differing(group.all_gather(layout_hash(model)));
  VEIL_CHECK(differ.empty()) << rank_label(group) << ": DPDDP needs the same model on every rank, but the parameter "
                             << "or buffer names, shapes or dtypes of rank(s) " << differ << " differ from rank 0's";
  std::vector<Tensor> tensors;
  for (auto& [name, t] : state_tensors(model)) tensors.push_back(t);
  group.broadcast_(tensors, 0);
}

void DPDDP::check_in_sync() {
  const std::string differ = ranks_differing(group_.all_gather(state_hash(model_)));
  VEIL_CHECK(differ.empty()) << rank_label(group_) << ": the parameters or buffers of rank(s) " << differ
                             << " are no longer equal to rank 0's";
}

}  // namespace veil::distributed
