#include "veil/core/index_rows.h"

#include "veil/core/kernel_table.h"

namespace veil {

const IndexRowsKernels& cpu_index_rows_kernels();  // core/cpu/index_rows_cpu.cpp

const IndexRowsKernels& index_rows_kernels(Device device) {
  return select_kernels<IndexRowsKernels>(device, cpu_index_rows_kernels(), nullptr, "index rows");
}

}  // namespace veil
