#pragma once
// cuDNN, opened on first use rather than linked, as cuBLAS is
// (core/cuda/cublas_library.h): a program that never takes the cuDNN
// convolution route (Note [Choosing the GPU convolution route] in
// core/conv_kernels.h) neither loads it nor needs it installed. Only the
// types come from the headers. VEIL_CUDNN_CHECK is the one checking helper
// for cuDNN status codes.
#include <cudnn.h>

#include "veil/core/error.h"

namespace veil::cuda {

struct CudnnLibrary {
  decltype(&cudnnGetErrorString) error_string;
  decltype(&cudnnCreate) create;
  decltype(&cudnnDestroy) destroy;
  decltype(&cudnnSetStream) set_stream;
  decltype(&cudnnCreateTensorDescriptor) create_tensor_descriptor;
  decltype(&cudnnDestroyTensorDescriptor) destroy_tensor_descriptor;
  decltype(&cudnnSetTensor4dDescriptor) set_tensor_4d_descriptor;
  decltype(&cudnnCreateFilterDescriptor) create_filter_descriptor;
  decltype(&cudnnDestroyFilterDescriptor) destroy_filter_descriptor;
  decltype(&cudnnSetFilter4dDescriptor) set_filter_4d_descriptor;
  decltype(&cudnnCreateConvolutionDescriptor) create_convolution_descriptor;
  decltype(&cudnnDestroyConvolutionDescriptor) destroy_convolution_descriptor;
  decltype(&cudnnSetConvolution2dDescriptor) set_convolution_2d_descriptor;
  decltype(&cudnnSetConvolutionGroupCount) set_convolution_group_count;
  decltype(&cudnnSetConvolutionMathType) set_convolution_math_type;
  decltype(&cudnnGetConvolutionForwardAlgorithm_v7) get_forward_algorithm;
  decltype(&cudnnGetConvolutionForwardWorkspaceSize) get_forward_workspace_size;
  decltype(&cudnnConvolutionForward) convolution_forward;
  decltype(&cudnnGetConvolutionBackwardDataAlgorithm_v7) get_backward_data_algorithm;
  decltype(&cudnnGetConvolutionBackwardDataWorkspaceSize) get_backward_data_workspace_size;
  decltype(&cudnnConvolutionBackwardData) convolution_backward_data;
};

// Opens libcudnn.so.<the headers' major version> once, from the loader's
// search path or else the folder cuDNN was found in at configure time
// (CUDNN_ROOT); throws naming the library and the loader's reason when it
// cannot.
const CudnnLibrary& cudnn_library();

}  // namespace veil::cuda

#define VEIL_CUDNN_CHECK(call)                                                                              \
  do {                                                                                                      \
    const cudnnStatus_t veil_cudnn_status = (call);                                                         \
    VEIL_CHECK(veil_cudnn_status == CUDNN_STATUS_SUCCESS)                                                   \
        << #call << ": " << ::veil::cuda::cudnn_library().error_string(veil_cudnn_status) << " (status "    \
        << static_cast<int>(veil_cudnn_status) << ")";                                                      \
  } while (0)
