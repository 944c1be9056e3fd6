// No op falls back to the CPU on a GPU tensor, nor fails there for want of a
// kernel: in a CUDA build every family's CUDA table has every slot the CPU
// table has; without CUDA, asking for one refuses by name. Runs without a GPU
// (looking a table up launches nothing).
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <string>

#include "veil/core/clip_kernels.h"
#include "veil/core/conv_kernels.h"
#include "veil/core/device_checks.h"
#include "veil/core/device_runtime.h"
#include "veil/core/elementwise.h"
#include "veil/core/error.h"
#include "veil/core/gemm.h"
#include "veil/core/im2row.h"
#include "veil/core/index_kernels.h"
#include "veil/core/index_rows.h"
#include "veil/core/lattice_kernels.h"
#include "veil/core/normalization_kernels.h"
#include "veil/core/optimizer_kernels.h"
#include "veil/core/per_sample_kernels.h"
#include "veil/core/philox_kernels.h"
#include "veil/core/pool_kernels.h"
#include "veil/core/reduce_kernels.h"
#include "veil/core/softmax_kernels.h"

using namespace veil;

namespace {

// A kernel table is a struct of function pointers (Note [Kernel tables]);
// read it as that many pointer-sized words and count the empty ones.
template <typename Table>
int empty_slots(const Table& table) {
  static_assert(sizeof(Table) % sizeof(void (*)()) == 0, "a kernel table holds function pointers only");
  constexpr std::size_t slots = sizeof(Table) / sizeof(void (*)());
  int empty = 0;
  for (std::size_t s = 0; s < slots; ++s) {
    std::uintptr_t word = 0;
    std::memcpy(&word, reinterpret_cast<const char*>(&table) + s * sizeof(word), sizeof(word));
    if (word == 0) ++empty;
  }
  return empty;
}

template <typename Table>
void check_family(const char* family, const Table& (*lookup)(Device)) {
  INFO(family);
  REQUIRE(empty_slots(lookup(Device::cpu())) == 0);
  if (built_with_cuda()) {
    REQUIRE(empty_slots(lookup(Device::cuda())) == 0);
  } else {
    REQUIRE_THROWS_WITH(lookup(Device::cuda()), Catch::Contains("built without CUDA"));
  }
}

}  // namespace

TEST_CASE("Every kernel family has a complete table on every device veil was built for", "[core][kernel_table]") {
  check_family("clip", clip_kernels);
  check_family("conv", conv_kernels);
  check_family("device check", check_kernels);
  check_family("elementwise", elementwise_kernels);
  check_family("gemm", gemm_kernels);
  check_family("im2row", im2row_kernels);
  check_family("index", index_kernels);
  check_family("index_rows", index_rows_kernels);
  check_family("lattice", lattice_kernels);
  check_family("normalization", normalization_kernels);
  check_family("optimizer", optimizer_kernels);
  check_family("per_sample", per_sample_kernels);
  check_family("philox", philox_kernels);
  check_family("pool", pool_kernels);
  check_family("reduce", reduce_kernels);
  check_family("softmax", softmax_kernels);
}

TEST_CASE("Both GPU convolution routes have complete tables", "[core][kernel_table]") {
  if (!built_with_cuda()) {
    REQUIRE_THROWS_WITH(conv_kernels(Device::cuda(), ConvRoute::Cudnn), Catch::Contains("built without CUDA"));
    return;
  }
  REQUIRE(empty_slots(conv_kernels(Device::cuda(), ConvRoute::Im2row)) == 0);
  REQUIRE(empty_slots(conv_kernels(Device::cuda(), ConvRoute::Cudnn)) == 0);
}
