#include "veil/core/index_rows.h"

#include "veil/core/kernel_table.h"

namespace veil {

const IndexRowsKernels& cpu_index_rows_kernels();  // core/cpu/index_rows_cpu.cpp
const IndexRowsKernels& cuda_index_rows_kernels();  // core/cuda/index_rows_cuda.cu

const IndexRowsKernels& index_rows_kernels(Device device) {
#ifdef VEIL_WITH_CUDA
  const IndexRowsKernels* cuda_table = &cuda_index_rows_kernels();
#else
  const IndexRowsKernels* cuda_table = nullptr;
#endif
  return select_kernels(device, cpu_index_rows_kernels(), cuda_table, "index rows");
}

}  // namespace veil
