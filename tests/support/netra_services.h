// Every service of every file in proto/netra/v1, as the linked-in generated
// pool has it: tests that walk the API (hostile input, the access policy) find
// a new RPC without being edited. The binary must link netra_proto whole.
#pragma once

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace netra::testing {

inline std::vector<const google::protobuf::ServiceDescriptor*> NetraServices() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(NETRA_SOURCE_DIR "/proto/netra/v1")) {
    if (entry.path().extension() == ".proto") files.push_back("netra/v1/" + entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  for (const auto& name : files) {
    const auto* file = google::protobuf::DescriptorPool::generated_pool()->FindFileByName(name);
    if (!file) {
      ADD_FAILURE() << name << " is not in the generated descriptor pool (not linked into the test?)";
      continue;
    }
    for (int i = 0; i < file->service_count(); ++i) services.push_back(file->service(i));
  }
  return services;
}

}  // namespace netra::testing
