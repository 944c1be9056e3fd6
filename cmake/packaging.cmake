# `cpack -G DEB` (from the build folder) makes one .deb holding the library,
# headers, CMake package, pkg-config file and the apps, installed under /usr.
# Its Depends line comes from dpkg-shlibdeps over the packaged binaries.
set(CPACK_PACKAGE_NAME veil)
set(CPACK_PACKAGE_VENDOR "veil developers")
set(CPACK_PACKAGE_CONTACT "veil developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
include(CPack)
