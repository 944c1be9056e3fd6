# The veil library: one target, veil::veil, built from the module folders.
# Sources are found by name so that a new unit is just a new file:
#   *.cu, *_cuda.cpp  only with VEIL_WITH_CUDA
#   *_mpi.cpp         only with VEIL_WITH_MPI
#   *_nccl.cpp, *_nccl.cu only with VEIL_WITH_NCCL
set(veil_modules core autograd layers optim privacy distributed data)
set(veil_sources "")
foreach(module IN LISTS veil_modules)
  file(GLOB_RECURSE module_sources CONFIGURE_DEPENDS
       ${PROJECT_SOURCE_DIR}/${module}/*.cpp ${PROJECT_SOURCE_DIR}/${module}/*.cu)
  list(APPEND veil_sources ${module_sources})
endforeach()
if(NOT VEIL_WITH_CUDA)
  list(FILTER veil_sources EXCLUDE REGEX "(\\.cu|_cuda\\.cpp)$")
endif()
if(NOT VEIL_WITH_MPI)
  list(FILTER veil_sources EXCLUDE REGEX "_mpi\\.cpp$")
endif()
if(NOT VEIL_WITH_NCCL)
  list(FILTER veil_sources EXCLUDE REGEX "_nccl\\.(cpp|cu)$")
endif()

add_library(veil ${veil_sources})
add_library(veil::veil ALIAS veil)
set_target_properties(veil PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
                                      EXPORT_NAME veil)

# Code includes veil headers as <veil/module/file.h>, in the tree and once
# installed. In the tree, build/include/veil is a link to the source root.
include(GNUInstallDirs)  # CMAKE_INSTALL_INCLUDEDIR must be set on the first configure too
set(veil_build_include ${PROJECT_BINARY_DIR}/include)
file(MAKE_DIRECTORY ${veil_build_include})
if(NOT EXISTS ${veil_build_include}/veil)
  file(CREATE_LINK ${PROJECT_SOURCE_DIR} ${veil_build_include}/veil SYMBOLIC)
endif()
target_include_directories(veil PUBLIC
  $<BUILD_INTERFACE:${veil_build_include}>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_features(veil PUBLIC cxx_std_20)

target_link_libraries(veil
  PUBLIC OpenMP::OpenMP_CXX Threads::Threads
  PRIVATE $<BUILD_INTERFACE:Eigen3::Eigen> $<BUILD_INTERFACE:nlohmann_json::nlohmann_json> ZLIB::ZLIB
          Sodium::Sodium)
target_compile_options(veil PRIVATE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter>
  # Error messages name source files relative to the project, not the build machine's paths.
  $<$<COMPILE_LANGUAGE:CXX>:-fmacro-prefix-map=${PROJECT_SOURCE_DIR}/=>
  $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-fmacro-prefix-map=${PROJECT_SOURCE_DIR}/=>)
if(VEIL_NATIVE)
  target_compile_options(veil PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
endif()
# GCC 12 reports false maybe-uninitialized warnings inside Eigen's AVX-512 code.
set_source_files_properties(${PROJECT_SOURCE_DIR}/core/cpu/gemm.cpp PROPERTIES COMPILE_OPTIONS -Wno-maybe-uninitialized)
# Eigen's own multithreading would fight ours: veil parallelises over the batch.
target_compile_definitions(veil PRIVATE EIGEN_DONT_PARALLELIZE)

if(VEIL_WITH_CUDA)
  target_compile_definitions(veil PUBLIC VEIL_WITH_CUDA)
  # The runtime is public (veil's headers name devices, its users launch
  # nothing themselves). cuBLAS and cuDNN are opened on first use, not
  # linked (core/cuda/cublas_library.h, cudnn_library.h): only their headers
  # are needed here, and the folders they were found in, where the libraries
  # are looked for when the loader's search path lacks them. cuDNN's is the
  # folder of the real file (a wheel's, behind a link named libcudnn.so).
  get_filename_component(veil_cudnn_file ${CUDNN_LIBRARY} REALPATH)
  get_filename_component(veil_cudnn_dir ${veil_cudnn_file} DIRECTORY)
  target_include_directories(veil PRIVATE $<BUILD_INTERFACE:${CUDNN_INCLUDE_DIR}>)
  target_link_libraries(veil PUBLIC CUDA::cudart PRIVATE ${CMAKE_DL_LIBS})
  target_compile_definitions(veil PRIVATE VEIL_CUDA_LIBRARY_DIR="${CUDAToolkit_LIBRARY_DIR}"
                                          VEIL_CUDNN_LIBRARY_DIR="${veil_cudnn_dir}")
  set_target_properties(veil PROPERTIES CUDA_SEPARABLE_COMPILATION OFF)
  target_compile_options(veil PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr --extended-lambda>)
endif()
if(VEIL_WITH_NCCL)
  target_compile_definitions(veil PUBLIC VEIL_WITH_NCCL)
  target_link_libraries(veil PUBLIC NCCL::nccl)
endif()
if(VEIL_WITH_MPI)
  target_compile_definitions(veil PUBLIC VEIL_WITH_MPI)
  target_link_libraries(veil PUBLIC MPI::MPI_CXX)
endif()
