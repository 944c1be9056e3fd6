# Installs headers under include/veil/<module>/, the library, and a
# relocatable CMake package: find_package(veil CONFIG) -> veil::veil.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

foreach(module IN LISTS veil_modules)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${module}/
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/veil/${module}
          FILES_MATCHING PATTERN "*.h")
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/veil.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/veil)

set(veil_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/veil)
install(TARGETS veil EXPORT veilTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT veilTargets NAMESPACE veil:: DESTINATION ${veil_cmake_dir})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/veilConfig.cmake.in
  ${PROJECT_BINARY_DIR}/veilConfig.cmake INSTALL_DESTINATION ${veil_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/veilConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/veilConfig.cmake ${PROJECT_BINARY_DIR}/veilConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/third_party/cmake/VeilFindImported.cmake
              ${PROJECT_SOURCE_DIR}/third_party/cmake/FindCUDNN.cmake
              ${PROJECT_SOURCE_DIR}/third_party/cmake/FindNCCL.cmake
        DESTINATION ${veil_cmake_dir})
