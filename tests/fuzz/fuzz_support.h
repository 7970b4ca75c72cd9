// What the libFuzzer targets of tests/fuzz share: the shipped data files the
// validators check against, loaded once, and a check that aborts (so that
// libFuzzer keeps the input) when a property of the code under test fails.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "common/proto_text.h"
#include "common/regions.h"
#include "google/protobuf/stubs/logging.h"

namespace netra::fuzz {

// A broken property is a crash: libFuzzer stores the input as an artifact.
#define NETRA_FUZZ_CHECK(condition)                                                      \
  do {                                                                                   \
    if (!(condition)) {                                                                  \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

// Protobuf logs some inputs it meets (e.g. text that is not UTF-8 when a
// message holding it is serialized) on stderr: noise at thousands a second.
inline const bool kProtobufQuiet = [] {
  google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*, int, const std::string&) {});
  return true;
}();

// A request as a handler gets it: parsed (text that is not UTF-8 parses too,
// see common/proto_text.h) and refused when a string field is not UTF-8, as
// CheckRequestText does before any validator sees it. False: not a request
// the domain would be given.
template <class Request>
bool ParseRequest(Request& request, const void* data, int size) {
  if (!request.ParseFromArray(data, size)) return false;
  Violations text;
  FindInvalidUtf8(request, "", text);
  return text.empty();
}

inline std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(std::string(NETRA_SOURCE_DIR) + "/" + relative, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", relative.c_str());
    std::abort();
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline const RegionDirectory& ShippedRegions() {
  static const RegionDirectory directory = [] {
    std::string error;
    auto loaded = RegionDirectory::Load(std::string(NETRA_SOURCE_DIR) + "/data/regions.csv", &error);
    if (!loaded) {
      std::fprintf(stderr, "cannot load data/regions.csv: %s\n", error.c_str());
      std::abort();
    }
    return *loaded;
  }();
  return directory;
}

}  // namespace netra::fuzz
