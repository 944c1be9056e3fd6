#pragma once
// cuBLAS, opened on first use rather than linked. A linked libcublas makes
// every program that links veil load it and run its and cublasLt's start-up
// code, about 0.4 s and 200 MiB of resident memory, even when it never
// touches a GPU; opened with the first cuBLAS handle, it costs that only on
// a GPU. Only the types come from the headers.
#include <cublas_v2.h>

namespace veil::cuda {

struct CublasLibrary {
  decltype(&cublasCreate_v2) create;
  decltype(&cublasDestroy_v2) destroy;
  decltype(&cublasSetStream_v2) set_stream;
  decltype(&cublasSgemm_v2) sgemm;
  decltype(&cublasDgemm_v2) dgemm;
  decltype(&cublasSgemmStridedBatched) sgemm_strided_batched;
  decltype(&cublasDgemmStridedBatched) dgemm_strided_batched;
  decltype(&cublasGetStatusName) status_name;
  decltype(&cublasGetStatusString) status_string;
};

// Opens libcublas.so.<the headers' major version> once, from the loader's
// search path or else the toolkit's library folder found at configure time;
// throws naming the library and the loader's reason when it cannot.
const CublasLibrary& cublas_library();

}  // namespace veil::cuda
