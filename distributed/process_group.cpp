#include "veil/distributed/process_group.h"

namespace veil::distributed {

std::string rank_label(const ProcessGroup& group) {
  return "rank " + std::to_string(group.rank()) + " of " + std::to_string(group.size());
}

}  // namespace veil::distributed
