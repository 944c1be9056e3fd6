# veil_find_imported(<Pkg> <header> <library> <target>): finds a library that
# ships no CMake package of its own (cuDNN, NCCL) next to the CUDA toolkit or
# under <Pkg>_ROOT, and defines the imported target <target>.
macro(veil_find_imported pkg header library target)
  find_path(${pkg}_INCLUDE_DIR ${header}
    HINTS ${${pkg}_ROOT} $ENV{${pkg}_ROOT} ${CUDAToolkit_INCLUDE_DIRS} ${CUDAToolkit_LIBRARY_ROOT}
    PATH_SUFFIXES include)
  find_library(${pkg}_LIBRARY ${library}
    HINTS ${${pkg}_ROOT} $ENV{${pkg}_ROOT} ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_LIBRARY_ROOT}
    PATH_SUFFIXES lib64 lib)
  include(FindPackageHandleStandardArgs)
  find_package_handle_standard_args(${pkg} REQUIRED_VARS ${pkg}_LIBRARY ${pkg}_INCLUDE_DIR)
  if(${pkg}_FOUND AND NOT TARGET ${target})
    add_library(${target} UNKNOWN IMPORTED)
    set_target_properties(${target} PROPERTIES
      IMPORTED_LOCATION ${${pkg}_LIBRARY}
      INTERFACE_INCLUDE_DIRECTORIES ${${pkg}_INCLUDE_DIR})
  endif()
  mark_as_advanced(${pkg}_INCLUDE_DIR ${pkg}_LIBRARY)
endmacro()
