# `make install` (cmake --install) and the Debian package (cpack -G DEB): the binary, its
# helpers where `ferry train` looks for them (../lib/ferry and ../share/ferry/python beside
# bin/), libferry (one static archive of the layers) with its public headers, and man pages
# generated from the commands' --help.

# The helpers are private to ferry: lib/ferry, not the multiarch library directory.
install(TARGETS ferry RUNTIME DESTINATION bin)
install(TARGETS ferry_isatty LIBRARY DESTINATION lib/ferry)
install(FILES ${PROJECT_SOURCE_DIR}/python/ferry_prefetch.py DESTINATION share/ferry/python)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ferry DESTINATION include)

# libferry.a: the layers' archives merged (an ar MRI script), so an outside program links
# one library besides the system ones.
set(FERRY_LAYERS ferry_core ferry_http ferry_s3 ferry_sqlite ferry_store ferry_s3client ferry_localstore ferry_server ferry_transfer
  ferry_sync ferry_cache ferry_fs ferry_fuse ferry_train)
set(FERRY_ARCHIVE ${PROJECT_BINARY_DIR}/libferry.a)
set(mri "CREATE ${FERRY_ARCHIVE}\n")
foreach(layer ${FERRY_LAYERS})
  string(APPEND mri "ADDLIB $<TARGET_FILE:${layer}>\n")
endforeach()
string(APPEND mri "SAVE\nEND\n")
file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/libferry.mri CONTENT "${mri}")
add_custom_command(OUTPUT ${FERRY_ARCHIVE}
  COMMAND ${CMAKE_COMMAND} -E rm -f ${FERRY_ARCHIVE}
  COMMAND ${CMAKE_AR} -M < ${PROJECT_BINARY_DIR}/libferry.mri
  DEPENDS ${FERRY_LAYERS} ${PROJECT_BINARY_DIR}/libferry.mri
  COMMENT "Merging the layers into libferry.a")
add_custom_target(ferry_archive ALL DEPENDS ${FERRY_ARCHIVE})
install(FILES ${FERRY_ARCHIVE} DESTINATION lib)

# Man pages: ferry(1) and ferry-COMMAND(1), from --help (help2man).
find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(FERRY_COMMANDS ls cp rm stat cat sync task agent mount cache gateway index train mb rb serve)
  set(pages ${PROJECT_BINARY_DIR}/man/ferry.1)
  add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/man/ferry.1
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND ${CMAKE_COMMAND} -E env LC_ALL=C.UTF-8 ${HELP2MAN} --locale=C.UTF-8 --no-info --version-string=${PROJECT_VERSION}
      --name=ML\ dataset\ migration,\ download,\ mount,\ training\ input\ and\ S3\ server
      --output=${PROJECT_BINARY_DIR}/man/ferry.1 $<TARGET_FILE:ferry>
    DEPENDS ferry)
  foreach(command ${FERRY_COMMANDS})
    set(wrapper ${PROJECT_BINARY_DIR}/man/ferry-${command})
    file(GENERATE OUTPUT ${wrapper}
      CONTENT "#!/bin/sh\nexec $<TARGET_FILE:ferry> ${command} \"$@\"\n"
      FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
        WORLD_READ WORLD_EXECUTE)
    add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/man/ferry-${command}.1
      COMMAND ${CMAKE_COMMAND} -E env LC_ALL=C.UTF-8 ${HELP2MAN} --locale=C.UTF-8 --no-info --version-string=${PROJECT_VERSION}
        --name=ferry\ ${command} --output=${PROJECT_BINARY_DIR}/man/ferry-${command}.1 ${wrapper}
      DEPENDS ferry)
    list(APPEND pages ${PROJECT_BINARY_DIR}/man/ferry-${command}.1)
  endforeach()
  add_custom_target(ferry_man ALL DEPENDS ${pages})
  install(FILES ${pages} DESTINATION share/man/man1)
else()
  message(STATUS "help2man not found: no man pages (scripts/install-deps.sh installs it)")
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ferry)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "ferry developers <ferry@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Data access for ML teams: S3 migration, download, cache mount, training input, S3 server")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
# The shared libraries' packages, found by dpkg-shlibdeps; fuse3 for fusermount3.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "fuse3")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3")
set(CPACK_STRIP_FILES ON)
include(CPack)
