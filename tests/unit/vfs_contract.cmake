# The vfs contract suite: one binary, run once per backend.
add_executable(test_vfs_contract ${CMAKE_CURRENT_LIST_DIR}/test_vfs_contract.c)
target_link_libraries(test_vfs_contract PRIVATE wk_io wk_common wkt)
set(vfs_contract_backends posix)
if(EXISTS ${CMAKE_SOURCE_DIR}/src/io/vfs_sim.c)
  target_compile_definitions(test_vfs_contract PRIVATE WKT_HAVE_SIM=1)
  list(APPEND vfs_contract_backends sim)
endif()
foreach(backend ${vfs_contract_backends})
  add_test(NAME vfs_contract_${backend} COMMAND test_vfs_contract ${backend})
  set_tests_properties(vfs_contract_${backend} PROPERTIES LABELS unit
    TIMEOUT 120)
endforeach()
