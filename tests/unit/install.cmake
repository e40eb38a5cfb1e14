# Installs into a temp prefix and builds consumers (pkg-config, find_package).
# Skipped in sanitizer builds: an instrumented libwalkit.so needs the
# sanitizer runtime in the consumer too.
if(NOT WALKIT_SANITIZE)
  add_test(NAME install COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/install_test.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(install PROPERTIES LABELS unit TIMEOUT 300)
endif()
