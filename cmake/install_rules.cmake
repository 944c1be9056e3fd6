# Installs headers under include/veil/<module>/, the library, and a
# relocatable CMake package: find_package(veil CONFIG) -> veil::veil.
# Everything here is in the "veil" component, so the package installs
# without the apps: cmake --install build --prefix P --component veil.
include(CMakePackageConfigHelpers)

# Headers follow the source naming rule of library.cmake: those of a part
# veil was built without would not compile for a consumer either.
set(veil_header_excludes "")
if(NOT VEIL_WITH_CUDA)
  list(APPEND veil_header_excludes PATTERN cuda EXCLUDE PATTERN *_cuda.h EXCLUDE)
endif()
if(NOT VEIL_WITH_MPI)
  list(APPEND veil_header_excludes PATTERN *_mpi.h EXCLUDE)
endif()
if(NOT VEIL_WITH_NCCL)
  list(APPEND veil_header_excludes PATTERN *_nccl.h EXCLUDE)
endif()
foreach(module IN LISTS veil_modules)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${module}/
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/veil/${module} COMPONENT veil
          FILES_MATCHING PATTERN *.h ${veil_header_excludes})
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/veil.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/veil COMPONENT veil)

# The include directory comes from the target's INSTALL_INTERFACE
# (library.cmake); the destinations are GNUInstallDirs' defaults.
set(veil_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/veil)
install(TARGETS veil EXPORT veilTargets COMPONENT veil)
install(EXPORT veilTargets NAMESPACE veil:: DESTINATION ${veil_cmake_dir} COMPONENT veil)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/veilConfig.cmake.in
  ${PROJECT_BINARY_DIR}/veilConfig.cmake INSTALL_DESTINATION ${veil_cmake_dir})
# 0.x: a new minor version may break the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/veilConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/veilConfig.cmake ${PROJECT_BINARY_DIR}/veilConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/third_party/cmake/VeilFindImported.cmake
              ${PROJECT_SOURCE_DIR}/third_party/cmake/VeilFindCUDAToolkit.cmake
              ${PROJECT_SOURCE_DIR}/third_party/cmake/FindCUDNN.cmake
              ${PROJECT_SOURCE_DIR}/third_party/cmake/FindNCCL.cmake
              ${PROJECT_SOURCE_DIR}/third_party/cmake/FindSodium.cmake
        DESTINATION ${veil_cmake_dir} COMPONENT veil)
