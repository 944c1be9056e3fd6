// Which GPU each rank of a GPU run takes (distributed/launch.h): its local
// rank, one GPU per rank, and a clear error on a node with fewer GPUs than
// ranks (before, rank k took GPU k % count, so ranks shared GPUs unnoticed).
#include <catch2/catch.hpp>

#include "veil/core/error.h"
#include "veil/distributed/launch.h"

using namespace veil;

TEST_CASE("each rank of a GPU run takes the GPU of its local rank", "[distributed]") {
  REQUIRE(distributed::gpu_for_local_rank(0, 1, 1) == 0);
  REQUIRE(distributed::gpu_for_local_rank(0, 1, 8) == 0);
  for (int rank = 0; rank < 4; ++rank) REQUIRE(distributed::gpu_for_local_rank(rank, 4, 4) == rank);
  REQUIRE(distributed::gpu_for_local_rank(2, 3, 8) == 2);
}

TEST_CASE("a node with fewer GPUs than ranks is refused, naming both counts", "[distributed]") {
  REQUIRE_THROWS_WITH(distributed::gpu_for_local_rank(3, 4, 2),
                      Catch::Contains("4 ranks run on this node but it shows 2 GPUs") &&
                          Catch::Contains("one GPU per rank"));
  REQUIRE_THROWS_WITH(distributed::gpu_for_local_rank(0, 2, 1), Catch::Contains("2 ranks run on this node but it shows 1 GPU:"));
  REQUIRE_THROWS_WITH(distributed::gpu_for_local_rank(0, 1, 0), Catch::Contains("shows 0 GPUs"));
}
