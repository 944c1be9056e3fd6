# Builds the .deb with CPack from a finished build tree and checks that it
# holds the library, headers, CMake package, pkg-config file and the apps,
# and that dpkg-shlibdeps gave it a Depends line.
#   cmake -D VEIL_BUILD_DIR=... -D WORK_DIR=... -D CPACK=... -P test_package_deb.cmake
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CPACK} -G DEB -B ${WORK_DIR} --config ${VEIL_BUILD_DIR}/CPackConfig.cmake
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cpack -G DEB failed:\n${out}")
endif()
file(GLOB debs ${WORK_DIR}/veil_*.deb)
list(LENGTH debs count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "expected one veil_*.deb in ${WORK_DIR}, found ${count}:\n${out}")
endif()
execute_process(COMMAND dpkg-deb --contents ${debs} OUTPUT_VARIABLE contents RESULT_VARIABLE rc)
foreach(expected IN ITEMS "/usr/bin/mnist_dp_ddp" "/usr/bin/dp_accountant" "/usr/include/veil/veil.h"
                          "/cmake/veil/veilConfig.cmake" "/pkgconfig/veil.pc" "/libveil.")
  string(FIND "${contents}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the package lacks ${expected}:\n${contents}")
  endif()
endforeach()
execute_process(COMMAND dpkg-deb --field ${debs} Depends OUTPUT_VARIABLE depends)
if(NOT depends MATCHES "libc6")
  message(FATAL_ERROR "the package's Depends line is '${depends}', expected the shared libraries of its apps")
endif()
message(STATUS "${debs}: Depends: ${depends}")
