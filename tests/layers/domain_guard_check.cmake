# The domain layer rule, as a test (ctest -R domain_guard): a source compiled
# with the domain libraries' flags (netra_domain_library: common/domain_guard.h
# forced in) builds with every domain header, abseil, nlohmann/json and spdlog,
# and fails, on the guard, with any gRPC, protobuf, generated netra/v1, SQLite,
# Redis, Prometheus, CLI11, CSV or libpq header, directly or through a common/
# or store header that wraps one.
#   cmake -DCXX=... -DSOURCE_DIR=... -DPROTO_DIR=... -DWORK_DIR=... -DHEADERS=<file> -P domain_guard_check.cmake
# HEADERS lists the domain libraries' headers, one a line (CMakeLists.txt
# writes it from every netra_domain_library).
foreach(var CXX SOURCE_DIR PROTO_DIR WORK_DIR HEADERS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "domain_guard_check: -D${var}= is required")
  endif()
endforeach()
file(MAKE_DIRECTORY ${WORK_DIR})
set(flags -std=c++20 -I${SOURCE_DIR} -I${PROTO_DIR})
set(guard -include ${SOURCE_DIR}/common/domain_guard.h)

# Compiles `text` (mode "compile"; or only preprocesses it, "preprocess":
# poisoning is the preprocessor's) with the domain flags, or without the guard
# (mode "preprocess-unguarded"); sets ${out_ok} to whether that succeeded and
# ${out_log} to the compiler's output.
function(probe name text mode out_ok out_log)
  set(file ${WORK_DIR}/${name}.cc)
  file(WRITE ${file} "${text}\nint main() { return 0; }\n")
  if(mode STREQUAL "compile")
    set(args ${flags} ${guard} -fsyntax-only)
  elseif(mode STREQUAL "preprocess")
    set(args ${flags} ${guard} -E -o /dev/null)
  else()
    set(args ${flags} -E -o /dev/null)
  endif()
  execute_process(COMMAND ${CXX} ${args} ${file} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc EQUAL 0)
    set(${out_ok} TRUE PARENT_SCOPE)
  else()
    set(${out_ok} FALSE PARENT_SCOPE)
  endif()
  set(${out_log} "${out}" PARENT_SCOPE)
endfunction()

set(failures "")

# What domain code may include: every domain header and what they build on.
file(STRINGS ${HEADERS} domain_headers)
if(NOT domain_headers)
  message(FATAL_ERROR "domain guard: no domain headers listed in ${HEADERS}")
endif()
set(clean "")
foreach(header ${domain_headers}
    common/deadlines.h common/digest.h common/history_chain.h common/identifiers.h common/log.h
    common/names.h common/nik.h common/paging.h common/regions.h common/result.h common/state_table.h
    common/store_error.h common/validation.h)
  string(APPEND clean "#include \"${header}\"\n")
endforeach()
string(APPEND clean "#include <nlohmann/json.hpp>\n#include <spdlog/spdlog.h>\n"
                    "#include \"absl/container/flat_hash_map.h\"\n#include \"absl/strings/str_format.h\"\n"
                    "#include \"absl/time/clock.h\"\n")
probe(clean "${clean}" compile ok log)
if(NOT ok)
  list(APPEND failures "the domain headers do not build under the guard:\n${log}")
endif()

# What it may not: each must fail on the guard (a "poisoned" error), and
# preprocess without it (so the failure is the guard's, not a missing header).
set(forbidden
  "<sqlite3.h>" "<grpcpp/grpcpp.h>" "<google/protobuf/message.h>" "\"netra/v1/registry.pb.h\""
  "<hiredis/hiredis.h>" "<prometheus/counter.h>" "<CLI/CLI.hpp>" "<csv.h>"
  "\"common/sqlite.h\"" "\"common/redis.h\"" "\"common/rpc.h\"" "\"common/metrics.h\"" "\"common/config.h\""
  "\"services/registry/employee_store.h\"" "\"services/sanction/case_store.h\"")
if(EXISTS /usr/include/postgresql/libpq-fe.h)
  list(APPEND forbidden "<postgresql/libpq-fe.h>")
endif()
set(n 0)
foreach(include ${forbidden})
  math(EXPR n "${n} + 1")
  probe(forbidden_${n} "#include ${include}" preprocess ok log)
  if(ok)
    list(APPEND failures "#include ${include} built under the domain guard")
  elseif(NOT log MATCHES "poisoned")
    list(APPEND failures "#include ${include} failed, but not on the guard:\n${log}")
  else()
    probe(unguarded_${n} "#include ${include}" preprocess-unguarded ok log)
    if(NOT ok)
      list(APPEND failures "#include ${include} does not build even without the guard:\n${log}")
    endif()
  endif()
endforeach()

if(failures)
  string(JOIN "\n" text ${failures})
  message(FATAL_ERROR "domain guard:\n${text}")
endif()
message(STATUS "domain guard: the domain headers build; ${n} forbidden includes fail on the guard")
