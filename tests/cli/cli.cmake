# End-to-end tests of the walkit command-line tool (a shell script driving
# the real binary on a temp dir under ${TMPDIR:-/var/tmp}).
if(TARGET walkit_cli)
  add_test(NAME cli_log
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_cli.sh $<TARGET_FILE:walkit_cli>)
  set_tests_properties(cli_log PROPERTIES LABELS unit TIMEOUT 120)
endif()
