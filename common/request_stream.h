// The messages of a client stream (ImportEmployees, ImportPartyMembers,
// UploadEvidence), parsed here rather than by gRPC.
//
// gRPC's own reader answers a message it cannot parse by ending the stream as
// if the client had finished: the handler would then commit a truncated
// import and answer OK. ServeClientStream makes the method read raw bytes, and
// RequestStream tells the two apart: Read is false at the end of the stream
// and at the first message that is not a valid request (bad protobuf, or text
// that is not UTF-8), and status() then says which it was.
#pragma once

#include <grpcpp/impl/codegen/method_handler.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/impl/codegen/service_type.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/sync_stream.h>

#include <google/protobuf/descriptor.h>

#include <cassert>
#include <string>

#include "common/proto_text.h"
#include "common/rpc.h"

namespace netra {

template <class Request>
class RequestStream {
 public:
  using Raw = grpc::ServerReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>;
  explicit RequestStream(Raw* raw) : raw_(raw) {}

  // The next message; false at the end of the stream or at a message that is
  // not a valid Request (see status()).
  bool Read(Request* out) {
    if (!status_.ok()) return false;
    grpc::ByteBuffer bytes;
    if (!raw_->Read(&bytes)) return false;
    const std::string where = "stream message " + std::to_string(count_);
    ++count_;
    out->Clear();
    TakeInvalidUtf8Seen();  // what earlier parses on this thread saw is not ours
    if (!grpc::GenericDeserialize<grpc::ProtoBufferReader, Request>(&bytes, out).ok()) {
      status_ = InvalidArgument("", ViolationReason::kInvalidFormat,
                                where + " is not a valid " + Request::descriptor()->full_name());
      return false;
    }
    if (!TakeInvalidUtf8Seen()) return true;
    if (grpc::Status text = CheckRequestText(*out); !text.ok()) {
      status_ = text;
      return false;
    }
    return true;
  }

  // OK while every message read was valid; else the INVALID_ARGUMENT to answer.
  const grpc::Status& status() const { return status_; }
  int count() const { return count_; }  // messages read so far

 private:
  Raw* raw_;
  grpc::Status status_;
  int count_ = 0;
};

// Serves the client-streaming `method` ("netra.v1.RegistryService.ImportEmployees")
// of `service` with `handler`, which reads a RequestStream and fills one
// Response, in place of gRPC's own handler. Call from the constructor of the
// generated Service's subclass, passing its protected MarkMethodStreamed (as
// &Handler::MarkMethodStreamed): from the server's side, a client stream is a
// bidirectional one whose handler writes one message.
template <class Service, class Request, class Response>
void ServeClientStream(Service* service, const std::string& method,
                       grpc::Status (Service::*handler)(grpc::ServerContext*, RequestStream<Request>*, Response*),
                       void (grpc::Service::*mark)(int, grpc::internal::MethodHandler*)) {
  const auto* descriptor = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(method);
  assert(descriptor && descriptor->client_streaming() && !descriptor->server_streaming() &&
         descriptor->input_type() == Request::descriptor() && descriptor->output_type() == Response::descriptor());
  using Raw = typename RequestStream<Request>::Raw;
  (service->*mark)(descriptor->index(),
                   new grpc::internal::BidiStreamingHandler<Service, grpc::ByteBuffer, grpc::ByteBuffer>(
                       [handler](Service* self, grpc::ServerContext* context, Raw* raw) {
                         RequestStream<Request> stream(raw);
                         Response response;
                         grpc::Status status = (self->*handler)(context, &stream, &response);
                         if (!status.ok()) return status;
                         grpc::ByteBuffer bytes;
                         bool own = false;
                         grpc::Status serialized =
                             grpc::GenericSerialize<grpc::ProtoBufferWriter, Response>(response, &bytes, &own);
                         if (!serialized.ok()) return serialized;
                         raw->Write(bytes);
                         return grpc::Status::OK;
                       },
                       service));
}

}  // namespace netra
