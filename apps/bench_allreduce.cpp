// bench_allreduce: what the all-reduce at each DP step costs, run under
// `mpirun -np W` (alone it is a world of one and measures nothing but the
// call).
//
// Times ProcessGroup::all_reduce_sum_ on (a) the clipped sums of
// SampleConvNet, the model of mnist_dp_ddp, as DPOptimizer::step() sends them
// (one tensor per parameter), and (b) flat float32 tensors of growing size,
// for the bandwidth. Every round starts with a barrier so the ranks start
// together; rank 0 reports the median time per call over the rounds, the
// bytes each rank sends in, and the algorithm bandwidth (bytes / time).
#include <cstdio>
#include <iostream>

#include "support/bench_timer.h"
#include "support/rank_main.h"
#include "veil/layers/sample_conv_net.h"

namespace {

using namespace veil;

struct Options {
  std::int64_t rounds = 21, inner = 20;
};

void add_options(CLI::App& app, Options& o) {
  app.description("Time the all-reduce of DP-SGD's clipped sums between the ranks of an MPI job (run it under "
                  "mpirun -np W).");
  cli::add_option(app, "--rounds", o.rounds, "N", "timed rounds per size (median reported)", "21");
  cli::add_option(app, "--inner", o.inner, "K", "calls per round", "20");
}

// Bounded: a larger count is a typo, not hours of work.
void check_options(const CLI::App&, const Options& o) {
  if (o.rounds < 1 || o.rounds > 1000000) throw cli::UsageError("--rounds must be in 1..1000000");
  if (o.inner < 1 || o.inner > 1000000) throw cli::UsageError("--inner must be in 1..1000000");
}

// Median milliseconds per all_reduce_sum_(tensors) on rank 0.
double time_all_reduce(distributed::ProcessGroup& group, const std::vector<Tensor>& tensors, const Options& o) {
  std::vector<double> per_call;
  for (std::int64_t r = 0; r < o.rounds; ++r) {
    group.barrier();
    const auto start = std::chrono::steady_clock::now();
    for (std::int64_t k = 0; k < o.inner; ++k) group.all_reduce_sum_(tensors);
    per_call.push_back(bench::elapsed_ms(start) / static_cast<double>(o.inner));
  }
  return bench::median(per_call);
}

void report(const std::string& what, std::int64_t bytes, double ms) {
  char line[200];
  std::snprintf(line, sizeof(line), "%-34s %10.1f KB %10.1f us %9.2f GB/s", what.c_str(), bytes / 1e3, ms * 1e3,
                bytes / (ms * 1e-3) / 1e9);
  std::cout << line << std::endl;
}

int run(const Options& o, distributed::ProcessGroup& group) {
  if (group.rank() != 0) std::cout.rdbuf(nullptr);
  std::cout << "bench_allreduce: " << group.size() << " rank(s) (" << group.backend() << "), " << o.rounds
            << " rounds x " << o.inner << " calls, load " << bench::load_average() << "\n";
  std::cout << "tensors                                 bytes/rank    per call   algo bw" << std::endl;
  SampleConvNet model(0);
  std::vector<Tensor> sums;
  std::int64_t bytes = 0;
  for (const Tensor& p : model.parameters()) {
    sums.push_back(Tensor::zeros(p.shape()));
    bytes += p.numel() * 4;
  }
  report("SampleConvNet clipped sums (" + std::to_string(sums.size()) + ")", bytes, time_all_reduce(group, sums, o));
  for (std::int64_t n : {std::int64_t{1} << 10, std::int64_t{1} << 15, std::int64_t{1} << 20, std::int64_t{1} << 22}) {
    const std::vector<Tensor> flat{Tensor::zeros({n})};
    report("flat float32 x " + std::to_string(n), n * 4, time_all_reduce(group, flat, o));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return veil::cli::parse_and_run_ranks<Options>("bench_allreduce", argc, argv, add_options, check_options, run);
}
