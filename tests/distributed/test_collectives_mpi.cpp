// Under `mpirun -np 2`: the MPI process group, DPDDP, and DP-SGD over two
// ranks against one process stepping on the union of their batches.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <thread>

#include "mpi_test_group.h"
#include "support/test_data.h"
#include "veil/core/compare.h"
#include "veil/autograd/ops.h"
#include "veil/distributed/make_private.h"
#include "veil/layers/activations.h"
#include "veil/layers/linear.h"
#include "veil/layers/losses.h"
#include "veil/layers/sequential.h"

using namespace veil;

namespace {

std::shared_ptr<Sequential> make_net(std::uint64_t seed) {
  auto net = std::make_shared<Sequential>();
  net->add(std::make_shared<Linear>(6, 8, seed)).add(std::make_shared<ReLU>()).add(std::make_shared<Linear>(8, 3, seed + 100));
  return net;
}

std::shared_ptr<data::TensorDataset> make_data(std::int64_t n) {
  std::vector<std::int64_t> labels(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) labels[static_cast<std::size_t>(i)] = i % 3;
  return std::make_shared<data::TensorDataset>(Tensor::uniform({n, 6}, -1, 1, 21),
                                               Tensor::from_vector<std::int64_t>(labels, {n}));
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("MPI collectives sum, broadcast, gather and wait over the ranks", "[distributed][mpi]") {
  auto& g = testing::mpi_group();
  REQUIRE(g.size() == 2);
  REQUIRE(g.backend() == "mpi");
  const int r = g.rank(), w = g.size();
  CHECK(g.local_size() == w);  // one node
  CHECK(g.local_rank() == r);
  std::vector<float> f(1000);
  std::vector<double> d(7);
  std::vector<std::int64_t> n(5);
  for (std::size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(r * 1000 + 0.5 * i);
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = r + 0.25 * i;
  for (std::size_t i = 0; i < n.size(); ++i) n[i] = (std::int64_t{1} << 40) * r + static_cast<std::int64_t>(i);
  Tensor tf = Tensor::from_vector(f, {10, 100}), td = Tensor::from_vector(d, {7}), tn = Tensor::from_vector(n, {5});
  g.all_reduce_sum_({tf, td, tn});
  const int rank_sum = w * (w - 1) / 2;
  const auto rf = tf.to_vector<float>();
  const auto rd = td.to_vector<double>();
  const auto rn = tn.to_vector<std::int64_t>();
  for (std::size_t i = 0; i < f.size(); ++i) CHECK(rf[i] == static_cast<float>(rank_sum * 1000 + w * 0.5 * i));
  for (std::size_t i = 0; i < d.size(); ++i) CHECK(rd[i] == rank_sum + w * 0.25 * i);
  for (std::size_t i = 0; i < n.size(); ++i)
    CHECK(rn[i] == (std::int64_t{1} << 40) * rank_sum + w * static_cast<std::int64_t>(i));

  Tensor b = Tensor::full({3, 4}, 5.0 + r);
  g.broadcast_({b}, 1);
  CHECK(b.to_vector<float>() == std::vector<float>(12, 6.0f));
  CHECK(g.all_gather(std::int64_t{10} * r) == std::vector<std::int64_t>{0, 10});
  g.barrier();

  CHECK(contains(testing::error_message([&] { g.all_reduce_sum_({Tensor()}); }), "undefined"));
}

TEST_CASE("A collective that waits past its timeout throws, naming the rank and the operation",
          "[distributed][mpi]") {
  auto& g = testing::mpi_group();
  {
    distributed::MpiProcessGroup impatient(distributed::MpiOptions{0.3});
    if (g.rank() == 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      impatient.barrier();  // rank 0's barrier is still posted: this one completes
    } else {
      const auto start = std::chrono::steady_clock::now();
      const std::string message = testing::error_message([&] { impatient.barrier(); });
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      INFO(message);
      CHECK(seconds < 1.2);
      CHECK(contains(message, "rank 0 of 2: barrier timed out"));
      CHECK(contains(testing::error_message([&] { impatient.all_gather(1); }), "earlier collective failed"));
    }
  }
  g.barrier();
}

TEST_CASE("DPDDP broadcasts rank 0's weights and refuses models that differ between ranks", "[distributed][mpi]") {
  auto& g = testing::mpi_group();
  auto model = make_net(1 + g.rank());
  distributed::DPDDP ddp(*model, g);
  CHECK(distributed::state_hash(*model) == distributed::state_hash(*make_net(1)));
  ddp.check_in_sync();
  if (g.rank() == 1) model->parameters()[0].fill_(0.5);
  CHECK(contains(testing::error_message([&] { ddp.check_in_sync(); }), "rank(s) 1 are no longer equal"));

  Linear other(4, g.rank() == 0 ? 3 : 2, 1);
  const std::string message = testing::error_message([&] { distributed::DPDDP bad(other, g); });
  INFO(message);
  CHECK(contains(message, "rank " + std::to_string(g.rank()) + " of 2: DPDDP needs the same model"));
  CHECK(contains(message, "rank(s) 1 differ"));
}

TEST_CASE("With sigma 0, two ranks step exactly like one process on the union of their batches",
          "[distributed][mpi]") {
  auto& g = testing::mpi_group();
  auto data = make_data(48);
  data::DataLoader loader(data, 12, true, false, 0);  // q = 1/4
  auto model = make_net(11 + g.rank());               // DPDDP must replace rank 1's weights
  auto reference = make_net(11);
  distributed::DPDDP ddp(*model, g);
  PrivacyEngine dist_engine, ref_engine;
  // A clipping bound below most per-example norms: clipping is per example,
  // so it commutes with splitting the batch.
  auto dist = distributed::make_private(dist_engine, ddp, std::make_unique<SGD>(model->parameters(), SGDOptions{0.5, 0.9}),
                                        loader, 0.0, 0.3, {.seed = 5});
  auto ref = ref_engine.make_private(*reference, std::make_unique<SGD>(reference->parameters(), SGDOptions{0.5, 0.9}),
                                     loader, 0.0, 0.3, {.seed = 5});
  REQUIRE(dist.loader->sample_rate() == ref.loader->sample_rate());
  REQUIRE(dist.optimizer->options().expected_batch_size == ref.optimizer->options().expected_batch_size);
  for (std::int64_t step = 0; step < 8; ++step) {
    const auto local = dist.loader->indices(step), global = ref.loader->indices(step);
    std::vector<std::int64_t> shard;
    for (std::int64_t i : global)
      if (i % 2 == g.rank()) shard.push_back(i);
    CHECK(local == shard);
    const data::Batch lb = data->gather(local), gb = data->gather(global);
    cross_entropy(ddp(lb.inputs), lb.targets).backward();
    dist.optimizer->step();
    cross_entropy((*reference)(gb.inputs), gb.targets).backward();
    ref.optimizer->step();
  }
  ddp.check_in_sync();  // bit-identical on both ranks
  const auto a = model->named_parameters(), b = reference->named_parameters();
  for (std::size_t k = 0; k < a.size(); ++k) {
    INFO(a[k].first);
    CHECK(allclose(a[k].second, b[k].second, 1e-5, 1e-6));
  }
  CHECK(dist.optimizer->ledger().total_steps() == 8);
  CHECK(dist.optimizer->ledger().to_string() == ref.optimizer->ledger().to_string());
}

TEST_CASE("Noise is added once for the global sum, also in secure mode", "[distributed][mpi]") {
  auto& g = testing::mpi_group();
  for (bool secure : {false, true}) {
    INFO("secure mode " << secure);
    Linear model(50, 40, 1);
    distributed::DPDDP ddp(model, g);
    model.set_per_sample({GradSampleMode::Auto, LossReduction::Mean});
    DPOptimizerOptions options;
    options.noise_multiplier = 2.0;
    options.clipping.max_grad_norm = 0.5;
    options.expected_batch_size = 10.0;  // q N
    options.sample_rate = 0.01;
    options.noise_seed = 3;
    options.secure_mode = secure;
    const Tensor before = model.weight().clone();
    DPOptimizer dp(model, std::make_unique<SGD>(model.parameters(), SGDOptions{1.0}), options, &g);
    sum(model(Tensor::zeros({0, 50}))).backward();  // empty batches: zero gradients everywhere
    dp.step();
    ddp.check_in_sync();
    const auto delta = sub(before, model.weight()).to_vector<double>();  // = noise / (q N)
    double mean = 0, var = 0;
    for (double v : delta) mean += v;
    mean /= static_cast<double>(delta.size());
    for (double v : delta) var += (v - mean) * (v - mean);
    var /= static_cast<double>(delta.size() - 1);
    // sigma C / (q N) = 0.1; noise from every rank would give 0.1 * sqrt(2).
    CHECK(std::sqrt(var) == Approx(0.1).epsilon(0.06));
    if (!secure) {
      // Rank 0 draws exactly the noise one process with the same seed draws.
      Linear single(50, 40, 1);
      single.set_per_sample({GradSampleMode::Auto, LossReduction::Mean});
      DPOptimizer one(single, std::make_unique<SGD>(single.parameters(), SGDOptions{1.0}), options);
      sum(single(Tensor::zeros({0, 50}))).backward();
      one.step();
      CHECK(distributed::state_hash(single) == distributed::state_hash(model));
    }
  }
}

TEST_CASE("A rank whose local batch is empty still joins the step", "[distributed][mpi]") {
  auto& g = testing::mpi_group();
  SECTION("one step, rank 1 empty") {
    auto model = make_net(3), reference = make_net(3);
    distributed::DPDDP ddp(*model, g);
    DPOptimizerOptions options;
    options.noise_multiplier = 0.0;
    options.clipping.max_grad_norm = 1.0;
    options.expected_batch_size = 3.0;
    options.sample_rate = 0.5;
    model->set_per_sample({GradSampleMode::Auto, LossReduction::Mean});
    reference->set_per_sample({GradSampleMode::Auto, LossReduction::Mean});
    DPOptimizer dp(*model, std::make_unique<SGD>(model->parameters(), SGDOptions{1.0}), options, &g);
    DPOptimizer one(*reference, std::make_unique<SGD>(reference->parameters(), SGDOptions{1.0}), options);
    const data::Batch full = make_data(3)->gather({0, 1, 2});
    const data::Batch mine = g.rank() == 0 ? full : make_data(3)->gather({});
    cross_entropy(ddp(mine.inputs), mine.targets).backward();
    dp.step();
    cross_entropy((*reference)(full.inputs), full.targets).backward();
    one.step();
    ddp.check_in_sync();
    const auto a = model->parameters(), b = reference->parameters();
    for (std::size_t k = 0; k < a.size(); ++k) CHECK(allclose(a[k], b[k], 1e-5, 1e-6));
  }
  SECTION("the distributed loader: same steps on every rank, empty local batches included") {
    auto data = make_data(4);
    data::DataLoader loader(data, 1, false, false, 0);  // q = 1/4: each rank's shard of 2 is often empty
    auto model = make_net(4);
    distributed::DPDDP ddp(*model, g);
    PrivacyEngine engine;
    auto priv = distributed::make_private(engine, ddp, std::make_unique<SGD>(model->parameters(), SGDOptions{0.1}),
                                          loader, 1.0, 1.0, {.seed = 8});
    std::int64_t steps = 0, empty = 0;
    priv.loader->for_each_batch(0, 3 * priv.loader->steps_per_epoch(), [&](std::int64_t, const data::Batch& b) {
      cross_entropy(ddp(b.inputs), b.targets).backward();
      priv.optimizer->step();
      ++steps;
      empty += b.size() == 0;
    });
    CHECK(steps == 12);
    CHECK(g.all_gather(steps) == std::vector<std::int64_t>{12, 12});
    const auto empties = g.all_gather(empty);
    CHECK(empties[0] + empties[1] > 0);
    ddp.check_in_sync();
    CHECK(engine.get_epsilon(1e-5).epsilon > 0);
  }
}
