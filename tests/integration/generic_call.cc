#include "tests/integration/generic_call.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

namespace netra::testing {

grpc::Status CallEmpty(const std::shared_ptr<grpc::Channel>& channel, const std::string& path, bool streaming) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::CompletionQueue cq;
  void* tag = nullptr;
  bool ok = false;
  auto next = [&] { return cq.Next(&tag, &ok) && ok; };
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1), response;
  grpc::Status status;
  if (!streaming) {
    auto call = stub.PrepareUnaryCall(&context, path, request, &cq);
    call->StartCall();
    call->Finish(&response, &status, &cq);
    next();
  } else {
    auto call = stub.PrepareCall(&context, path, &cq);
    call->StartCall(&cq);
    if (next()) {
      call->Write(request, &cq);
      if (next()) {
        call->WritesDone(&cq);
        next();
      }
    }
    call->Read(&response, &cq);
    next();
    call->Finish(&status, &cq);
    next();
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

grpc::Status CallEmpty(const std::shared_ptr<grpc::Channel>& channel, const google::protobuf::MethodDescriptor& method) {
  return CallEmpty(channel, "/" + method.service()->full_name() + "/" + method.name(), method.client_streaming());
}

}  // namespace netra::testing
