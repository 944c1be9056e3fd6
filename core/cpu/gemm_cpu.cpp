// The CPU GEMM table (Note [Kernel tables]) over cpu::gemm and
// cpu::gemm_small_n.
#include <algorithm>
#include <vector>

#include "veil/core/cpu/gemm.h"
#include "veil/core/cpu/gemm_small_n.h"
#include "veil/core/cpu/gemm_tn_small.h"
#include "veil/core/gemm.h"
#include "veil/core/parallel.h"

namespace veil {
namespace {

// The leading dimension of a matrix view (of the matrices of a 3-D view).
std::int64_t ld(const Tensor& t) { return t.strides()[t.dim() - 2]; }

void cpu_gemm(bool trans_a, bool trans_b, double alpha, const Tensor& a, const Tensor& b, double beta,
              const Tensor& c) {
  const std::int64_t k = trans_a ? a.size(0) : a.size(1);
  dispatch_floating(c.dtype(), "gemm", [&]<typename T>() {
    cpu::gemm<T>(trans_a, trans_b, c.size(0), c.size(1), k, T(alpha), a.data<T>(), ld(a), b.data<T>(), ld(b),
                 T(beta), c.data<T>(), ld(c));
  });
}

void cpu_batched_gemm(bool trans_a, bool trans_b, double alpha, const Tensor& a, const Tensor& b, double beta,
                      const Tensor& c) {
  const std::int64_t batch = c.size(0), m = c.size(1), n = c.size(2), k = trans_a ? a.size(1) : a.size(2);
  dispatch_floating(c.dtype(), "batched_gemm", [&]<typename T>() {
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* pc = c.data<T>();
    // Per-sample weight gradients G_i^T X_i: read in place (gemm_tn_small.h).
    const bool tn_small = trans_a && !trans_b && cpu::tn_small_supported<T>(n);
    parallel_for(batch, 1, [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t i = b0; i < b1; ++i)
        if (tn_small)
          cpu::gemm_tn_small<T>(m, n, k, T(alpha), pa + i * a.strides()[0], ld(a), pb + i * b.strides()[0], ld(b),
                                T(beta), pc + i * c.strides()[0], ld(c));
        else
          cpu::gemm<T>(trans_a, trans_b, m, n, k, T(alpha), pa + i * a.strides()[0], ld(a), pb + i * b.strides()[0],
                     ld(b), T(beta), pc + i * c.strides()[0], ld(c));
    });
  });
}

void cpu_gemm_nt(const Tensor& a, const Tensor& b, const Tensor& c) {
  const std::int64_t m = c.size(0), n = c.size(1), k = a.size(1);
  dispatch_floating(c.dtype(), "gemm_nt", [&]<typename T>() {
    if (cpu::small_n_supported(n))
      cpu::gemm_small_n<T>(m, n, k, a.data<T>(), ld(a), b.data<T>(), ld(b), c.data<T>(), ld(c));
    else
      cpu::gemm<T>(false, true, m, n, k, T(1), a.data<T>(), ld(a), b.data<T>(), ld(b), T(0), c.data<T>(), ld(c));
  });
}

// The rows are split into chunks that depend on the shapes alone, never on
// the thread count; each chunk is summed into its own buffer and the
// buffers are added in chunk order, so the result has the same bits on any
// number of threads (Note [Thread-independent GEMM] in core/cpu/gemm.cpp).
// A chunk sums hundreds of rows or more, where Eigen's packed GEMM beats
// gemm_tn_small (a plain SampleConvNet step was 3 to 6% slower with it).
constexpr std::int64_t kMaxRowChunks = 8;
constexpr std::int64_t kMinRowsPerChunk = 256;
constexpr std::int64_t kMaxPartialBytes = std::int64_t{64} << 20;

template <typename T>
std::int64_t row_chunks(std::int64_t total_rows, std::int64_t size) {
  const std::int64_t by_rows = std::max<std::int64_t>(total_rows / kMinRowsPerChunk, 1);
  const std::int64_t by_memory = std::max<std::int64_t>(kMaxPartialBytes / (size * std::int64_t{sizeof(T)}), 1);
  return std::min({kMaxRowChunks, by_rows, by_memory});
}

// dw[G*M, K] (row block g: the group's [M, K]) = sum over rows r of
// g[r, g*M : (g+1)*M]^T rows[r, g*K : (g+1)*K], into `out` (overwritten).
template <typename T>
void tn_rows_product(std::int64_t groups, std::int64_t n_rows, std::int64_t out_per_group, std::int64_t k,
                     const T* g, std::int64_t ldg, const T* rows, std::int64_t ldr, T* out) {
  for (std::int64_t grp = 0; grp < groups; ++grp) {
    const T* a = g + grp * out_per_group;
    const T* b = rows + grp * k;
    T* c = out + grp * out_per_group * k;
    cpu::gemm<T>(true, false, out_per_group, k, n_rows, T(1), a, ldg, b, ldr, T(0), c, k);
  }
}

template <typename T>
void gemm_tn_rows(std::int64_t groups, std::int64_t total_rows, std::int64_t out_per_group, std::int64_t k,
                  const T* g, std::int64_t ldg, const T* rows, std::int64_t ldr, T* dw) {
  const std::int64_t size = groups * out_per_group * k;
  if (size == 0) return;
  const std::int64_t chunks = row_chunks<T>(total_rows, size);
  std::vector<T> partial(chunks * size);
  parallel_for(chunks, 1, [&](std::int64_t c0, std::int64_t c1) {
    for (std::int64_t c = c0; c < c1; ++c) {
      const std::int64_t r0 = total_rows * c / chunks, r1 = total_rows * (c + 1) / chunks;
      tn_rows_product(groups, r1 - r0, out_per_group, k, g + r0 * ldg, ldg, rows + r0 * ldr, ldr,
                      partial.data() + c * size);
    }
  });
  for (std::int64_t j = 0; j < size; ++j) {
    T total = T(0);
    for (std::int64_t c = 0; c < chunks; ++c) total += partial[c * size + j];
    dw[j] += total;
  }
}

void cpu_grouped_gemm_tn_rows(std::int64_t groups, const Tensor& a, const Tensor& b, const Tensor& c) {
  dispatch_floating(c.dtype(), "grouped_gemm_tn_rows", [&]<typename T>() {
    gemm_tn_rows<T>(groups, a.size(0), a.size(1) / groups, c.size(1), a.data<T>(), ld(a), b.data<T>(), ld(b),
                    c.data<T>());
  });
}

}  // namespace

const GemmKernels& cpu_gemm_kernels() {
  static const GemmKernels kernels{cpu_gemm, cpu_batched_gemm, cpu_gemm_nt, cpu_grouped_gemm_tn_rows};
  return kernels;
}

}  // namespace veil
