// A call by path with one empty message, whatever the method's types: how the
// tests that walk every RPC of the descriptors (who may call what, what a
// listener serves) reach each one.
#pragma once

#include <google/protobuf/descriptor.h>
#include <grpcpp/channel.h>
#include <grpcpp/support/status.h>

#include <memory>
#include <string>

namespace netra::testing {

// Calls `path` ("/netra.v1.RegistryService/GetEmployee") with one empty
// message; a `streaming` call sends it and half-closes, then reads one answer.
grpc::Status CallEmpty(const std::shared_ptr<grpc::Channel>& channel, const std::string& path, bool streaming);
grpc::Status CallEmpty(const std::shared_ptr<grpc::Channel>& channel, const google::protobuf::MethodDescriptor& method);

}  // namespace netra::testing
