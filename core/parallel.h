#pragma once
// CPU threading. veil parallelises over batch and channel loops with OpenMP;
// the thread count follows OMP_NUM_THREADS unless set_num_threads is called.
#include <cstdint>

namespace veil {

void set_num_threads(int threads);
int num_threads();

// Runs fn(begin, end) over [0, n) split into chunks of at least `grain`
// iterations, in parallel when there is enough work.
template <typename Fn>
void parallel_for(std::int64_t n, std::int64_t grain, const Fn& fn) {
  if (n <= 0) return;
  if (n <= grain || num_threads() == 1) {
    fn(std::int64_t{0}, n);
    return;
  }
  const std::int64_t max_chunks = (n + grain - 1) / grain;
  const std::int64_t chunks = max_chunks < num_threads() ? max_chunks : num_threads();
#pragma omp parallel for schedule(static) num_threads(static_cast<int>(chunks))
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::int64_t begin = n * c / chunks;
    const std::int64_t end = n * (c + 1) / chunks;
    fn(begin, end);
  }
}

}  // namespace veil
