#include "veil/core/parallel.h"

#include <omp.h>

#include "veil/core/error.h"

namespace veil {

void set_num_threads(int threads) {
  VEIL_CHECK(threads >= 1) << "thread count must be at least 1, got " << threads;
  omp_set_num_threads(threads);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace veil
