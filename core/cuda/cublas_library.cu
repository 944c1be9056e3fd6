#include "veil/core/cuda/cublas_library.h"

#include <string>

#include "veil/core/cuda/dynamic_library.h"

namespace veil::cuda {

const CublasLibrary& cublas_library() {
  static const CublasLibrary library = [] {
    const DynamicLibrary handle("cuBLAS", "for the GPU", "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR),
                                VEIL_CUDA_LIBRARY_DIR);
    CublasLibrary l{};
    handle.bind("cublasCreate_v2", l.create);
    handle.bind("cublasDestroy_v2", l.destroy);
    handle.bind("cublasSetStream_v2", l.set_stream);
    handle.bind("cublasSgemm_v2", l.sgemm);
    handle.bind("cublasDgemm_v2", l.dgemm);
    handle.bind("cublasSgemmStridedBatched", l.sgemm_strided_batched);
    handle.bind("cublasDgemmStridedBatched", l.dgemm_strided_batched);
    handle.bind("cublasGetStatusName", l.status_name);
    handle.bind("cublasGetStatusString", l.status_string);
    return l;
  }();
  return library;
}

}  // namespace veil::cuda
