# Configures veil with Debian 12's unpatched FindCUDAToolkit.cmake first on
# the module path. Debian's CMake 3.25.1 module marks CUDA::nvToolsExt
# deprecated without checking that the target exists (CUDA 13 has no such
# library); this machine's module may carry the upstream fix, so the test
# recreates Debian's text by removing that check.
# Arguments: SOURCE_DIR, WORK_DIR, CMAKE_ROOT (of the running CMake).
set(module ${CMAKE_ROOT}/Modules/FindCUDAToolkit.cmake)
file(READ ${module} text)
string(REPLACE "if(TARGET CUDA::nvToolsExt AND CMAKE_MINIMUM_REQUIRED_VERSION"
               "if(CMAKE_MINIMUM_REQUIRED_VERSION" debian_text "${text}")
if(NOT debian_text MATCHES "if\\(CMAKE_MINIMUM_REQUIRED_VERSION VERSION_GREATER_EQUAL 3.25\\)\n *set_property\\(TARGET CUDA::nvToolsExt")
  message(FATAL_ERROR "${module} no longer has the nvToolsExt deprecation block this test rewrites")
endif()
# The copy lives elsewhere: its includes of sibling modules must still find them.
string(REPLACE "\${CMAKE_CURRENT_LIST_DIR}" "${CMAKE_ROOT}/Modules" debian_text "${debian_text}")
file(REMOVE_RECURSE ${WORK_DIR})
file(WRITE ${WORK_DIR}/modules/FindCUDAToolkit.cmake "${debian_text}")
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -DVEIL_WITH_CUDA=ON
          -DVEIL_BUILD_TESTS=OFF -DVEIL_BUILD_APPS=OFF -DCMAKE_MODULE_PATH=${WORK_DIR}/modules
  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "configure with Debian's FindCUDAToolkit failed:\n${output}")
endif()
message(STATUS "configured with Debian's FindCUDAToolkit.cmake")
