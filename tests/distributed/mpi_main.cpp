// main() of the MPI tests: one MpiProcessGroup for the whole run, Catch2's
// session, and an exit status that fails on every rank if any rank failed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <iostream>
#include <numeric>

#include "mpi_test_group.h"

namespace {
veil::distributed::MpiProcessGroup* group = nullptr;
}

namespace veil::testing {

distributed::MpiProcessGroup& mpi_group() { return *group; }

}  // namespace veil::testing

int main(int argc, char** argv) {
  veil::distributed::MpiProcessGroup world(veil::distributed::MpiOptions{60});
  group = &world;
  const int failures = Catch::Session().run(argc, argv);
  const auto all = world.all_gather(failures);
  const int total = std::accumulate(all.begin(), all.end(), 0);
  if (total > 0 && world.rank() == 0) std::cerr << total << " failure(s) over " << world.size() << " ranks\n";
  return total > 0 ? 1 : 0;
}
