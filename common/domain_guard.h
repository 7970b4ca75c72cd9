// Forced into every source of a domain library (-include, see
// netra_domain_library in CMakeLists.txt): the layer rule "domain code is
// plain C++" as a build failure. Poisoned identifiers are ones only the
// infrastructure libraries' headers use, so including any of them (directly or
// through a common/ header that wraps them) stops the build with
//   error: attempt to use poisoned "sqlite3"
// The standard library, abseil, nlohmann/json and spdlog use none of them
// (the domain_guard test compiles both sides).
#pragma once

#define NETRA_DOMAIN_LAYER 1

// gRPC (grpc, grpc_impl) and protobuf with the generated netra/v1 code (google).
#pragma GCC poison grpc grpc_impl google
// SQLite and PostgreSQL.
#pragma GCC poison sqlite3 sqlite3_stmt PGconn PGresult
// Redis (hiredis).
#pragma GCC poison redisContext redisReply redisAsyncContext
// Prometheus, CLI11, libcsv.
#pragma GCC poison prometheus CLI csv_parser
