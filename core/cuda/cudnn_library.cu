#include "veil/core/cuda/cudnn_library.h"

#include <string>

#include "veil/core/cuda/dynamic_library.h"

namespace veil::cuda {

const CudnnLibrary& cudnn_library() {
  static const CudnnLibrary library = [] {
    const DynamicLibrary handle("cuDNN", "for the cudnn convolution route (VEIL_CUDA_CONV=cudnn)",
                                "libcudnn.so." + std::to_string(CUDNN_MAJOR), VEIL_CUDNN_LIBRARY_DIR,
                                ", or unset VEIL_CUDA_CONV");
    CudnnLibrary l{};
    handle.bind("cudnnGetErrorString", l.error_string);
    handle.bind("cudnnCreate", l.create);
    handle.bind("cudnnDestroy", l.destroy);
    handle.bind("cudnnSetStream", l.set_stream);
    handle.bind("cudnnCreateTensorDescriptor", l.create_tensor_descriptor);
    handle.bind("cudnnDestroyTensorDescriptor", l.destroy_tensor_descriptor);
    handle.bind("cudnnSetTensor4dDescriptor", l.set_tensor_4d_descriptor);
    handle.bind("cudnnCreateFilterDescriptor", l.create_filter_descriptor);
    handle.bind("cudnnDestroyFilterDescriptor", l.destroy_filter_descriptor);
    handle.bind("cudnnSetFilter4dDescriptor", l.set_filter_4d_descriptor);
    handle.bind("cudnnCreateConvolutionDescriptor", l.create_convolution_descriptor);
    handle.bind("cudnnDestroyConvolutionDescriptor", l.destroy_convolution_descriptor);
    handle.bind("cudnnSetConvolution2dDescriptor", l.set_convolution_2d_descriptor);
    handle.bind("cudnnSetConvolutionGroupCount", l.set_convolution_group_count);
    handle.bind("cudnnSetConvolutionMathType", l.set_convolution_math_type);
    handle.bind("cudnnGetConvolutionForwardAlgorithm_v7", l.get_forward_algorithm);
    handle.bind("cudnnGetConvolutionForwardWorkspaceSize", l.get_forward_workspace_size);
    handle.bind("cudnnConvolutionForward", l.convolution_forward);
    handle.bind("cudnnGetConvolutionBackwardDataAlgorithm_v7", l.get_backward_data_algorithm);
    handle.bind("cudnnGetConvolutionBackwardDataWorkspaceSize", l.get_backward_data_workspace_size);
    handle.bind("cudnnConvolutionBackwardData", l.convolution_backward_data);
    return l;
  }();
  return library;
}

}  // namespace veil::cuda
