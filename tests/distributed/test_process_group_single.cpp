// The single-process group, DPDDP and distributed::make_private on a world
// of one (always built), and the launcher detection.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "support/test_data.h"
#include "veil/autograd/ops.h"
#include "veil/distributed/launch.h"
#include "veil/distributed/make_private.h"
#include "veil/distributed/process_group_single.h"
#include "veil/layers/linear.h"
#include "veil/layers/losses.h"

using namespace veil;

TEST_CASE("A world of one: collectives return their input", "[distributed]") {
  distributed::SingleProcessGroup group;
  REQUIRE(group.rank() == 0);
  REQUIRE(group.size() == 1);
  REQUIRE(group.local_size() == 1);
  Tensor t = Tensor::from_vector<float>({1, 2, 3}, {3});
  group.all_reduce_sum_({t});
  group.broadcast_({t}, 0);
  group.barrier();
  REQUIRE(t.to_vector<float>() == std::vector<float>{1, 2, 3});
  REQUIRE(group.all_gather(std::int64_t{42}) == std::vector<std::int64_t>{42});
  REQUIRE(testing::error_message([&] { group.broadcast_({t}, 1); }).find("root 1") != std::string::npos);
}

TEST_CASE("Without launcher variables the group is a world of one", "[distributed]") {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"}) unsetenv(name);
  REQUIRE_FALSE(distributed::launched_by_mpi());
  REQUIRE(distributed::process_group_from_environment()->backend() == "single");
#ifndef VEIL_WITH_MPI
  setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
  REQUIRE(testing::error_message([] { distributed::process_group_from_environment(); }).find("without MPI") !=
          std::string::npos);
  unsetenv("OMPI_COMM_WORLD_SIZE");
#endif
}

TEST_CASE("state_hash sees names, shapes and values", "[distributed]") {
  Linear a(4, 3, 1), b(4, 3, 1), c(4, 3, 2), d(4, 2, 1);
  REQUIRE(distributed::state_hash(a) == distributed::state_hash(b));
  REQUIRE(distributed::state_hash(a) != distributed::state_hash(c));
  REQUIRE(distributed::state_hash(a) != distributed::state_hash(d));
}

TEST_CASE("distributed::make_private on a world of one equals PrivacyEngine::make_private", "[distributed]") {
  auto data = std::make_shared<data::TensorDataset>(Tensor::uniform({40, 5}, -1, 1, 7),
                                                    Tensor::from_vector<std::int64_t>(std::vector<std::int64_t>(40, 1), {40}));
  data::DataLoader loader(data, 10, true, false, 0);
  Linear plain(5, 3, 3), wrapped(5, 3, 3);
  distributed::SingleProcessGroup group;
  distributed::DPDDP ddp(wrapped, group);
  PrivacyEngine e1, e2;
  auto p1 = e1.make_private(plain, std::make_unique<SGD>(plain.parameters(), SGDOptions{0.5}), loader, 1.0, 1.0,
                            {.seed = 4});
  auto p2 = distributed::make_private(e2, ddp, std::make_unique<SGD>(wrapped.parameters(), SGDOptions{0.5}), loader,
                                      1.0, 1.0, {.seed = 4});
  REQUIRE(p2.loader->sample_rate() == p1.loader->sample_rate());
  for (std::int64_t step = 0; step < 6; ++step) {
    const auto i1 = p1.loader->indices(step), i2 = p2.loader->indices(step);
    REQUIRE(i1 == i2);
    const data::Batch b = data->gather(i1);
    cross_entropy(plain(b.inputs), b.targets).backward();
    p1.optimizer->step();
    cross_entropy(ddp(b.inputs), b.targets).backward();
    p2.optimizer->step();
  }
  REQUIRE(distributed::state_hash(plain) == distributed::state_hash(wrapped));
  ddp.check_in_sync();
  REQUIRE(e1.get_epsilon(1e-5).epsilon == e2.get_epsilon(1e-5).epsilon);
}
