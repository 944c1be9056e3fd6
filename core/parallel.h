#pragma once
// CPU threading.
//
// Note [veil's thread pool]
// parallel_for runs on veil's own pool rather than OpenMP regions. OpenMP's
// workers spin at every barrier; on a loaded 2-core machine (another build,
// another job) a spinning worker holds the core its partner needs, and a DP
// training step ran 7x slower on 2 threads than on 1 (measured). The pool's
// workers spin for a few tens of microseconds, then sleep on a condition
// variable, so they cost little when the machine is busy and wake quickly
// when it is not. The thread count still follows OMP_NUM_THREADS (and
// set_num_threads), as does the OpenMP code in Eigen. Nested parallel_for
// calls run serially inside the outer one.
#include <cstdint>

namespace veil {

// Threads used by parallel_for (and by OpenMP code); at least 1.
// set_num_threads starts the pool's threads and throws veil::Error when the
// system refuses one (the previous count is then no longer in force).
void set_num_threads(int threads);
int num_threads();

namespace detail {
// Runs job(context, c) for every chunk c in [0, chunks) on the pool and the
// calling thread, and returns when all have finished. Rethrows the first
// exception a chunk threw.
void run_chunks(std::int64_t chunks, void (*job)(void*, std::int64_t), void* context);
// True on a thread that is running a chunk.
bool in_parallel_region();
}  // namespace detail

// Runs fn(begin, end) over [0, n) split into at most num_threads()
// contiguous chunks of at least `grain` iterations, in parallel when there is
// enough work. Chunk boundaries depend only on n, grain and the thread count.
template <typename Fn>
void parallel_for(std::int64_t n, std::int64_t grain, const Fn& fn) {
  if (n <= 0) return;
  const int threads = num_threads();
  if (n <= grain || threads == 1 || detail::in_parallel_region()) {
    fn(std::int64_t{0}, n);
    return;
  }
  const std::int64_t max_chunks = (n + grain - 1) / grain;
  const std::int64_t chunks = max_chunks < threads ? max_chunks : threads;
  struct Context {
    const Fn* fn;
    std::int64_t n, chunks;
  } context{&fn, n, chunks};
  detail::run_chunks(
      chunks,
      [](void* raw, std::int64_t c) {
        const auto* ctx = static_cast<const Context*>(raw);
        (*ctx->fn)(ctx->n * c / ctx->chunks, ctx->n * (c + 1) / ctx->chunks);
      },
      &context);
}

}  // namespace veil
