// netractl complaint status|upload|get|history|reveal|act: the complaint service.
//
//   netractl complaint status TRACKING_CODE        -> the public view (no personal data)
//   netractl complaint upload screenshot.jpg       -> the evidence id, hash, size, media type
//   netractl complaint get COMPLAINT_ID
//   netractl complaint history COMPLAINT_ID        -> the hash-chained history and its verification
//   netractl complaint reveal COMPLAINT_ID --reason "klarifikasi pelapor"
//                                                  -> the sealed reporter, for Bawaslu of its region (recorded)
//   netractl complaint act SubmitComplaint complaint.json
//
// `act` sends SubmitComplaint, TransitionComplaint or RecordOutcome given as
// protobuf JSON.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <vector>

#include "tools/netractl/netractl.h"
#include "tools/netractl/stubs.h"

namespace netra::netractl {
namespace {

struct ComplaintFlags {
  std::string tracking_code, file, media_type, complaint_id, rpc, reason;
};

int RunStatus(const Options& o, const ComplaintFlags& c) {
  v1::GetComplaintStatusRequest request;
  request.set_tracking_code(c.tracking_code);
  v1::GetComplaintStatusResponse response;
  auto context = Context(o);
  return PrintReply(ComplaintStub(o)->GetComplaintStatus(context.get(), request, &response), response);
}

// Streams the file in 1 MiB chunks; the request id is derived from its hash,
// so that running the same upload again is a retry, not a second blob.
int RunUpload(const Options& o, const ComplaintFlags& c) {
  const std::string sha256 = FileSha256(c.file);
  std::ifstream in(c.file, std::ios::binary | std::ios::ate);
  if (!in || sha256.empty()) return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, "cannot read " + c.file);
  const int64_t size = in.tellg();
  in.seekg(0);
  v1::UploadEvidenceResponse response;
  auto context = Context(o);
  auto stub = ComplaintStub(o);
  auto writer = stub->UploadEvidence(context.get(), &response);
  std::vector<char> chunk(1 << 20);
  bool first = true;
  while (in || first) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    v1::UploadEvidenceRequest request;
    if (first) {
      request.set_request_id("upload:" + sha256.substr(0, 32));
      request.set_file_name(SourceName(c.file));
      request.set_declared_media_type(c.media_type);
      request.set_total_size(size);
      first = false;
    }
    request.set_chunk(chunk.data(), static_cast<size_t>(in.gcount()));
    if (!writer->Write(request)) break;  // the server ended the stream: Finish says why
  }
  writer->WritesDone();
  return PrintReply(writer->Finish(), response);
}

int RunGet(const Options& o, const ComplaintFlags& c) {
  v1::GetComplaintRequest request;
  request.set_complaint_id(c.complaint_id);
  v1::GetComplaintResponse response;
  auto context = Context(o);
  return PrintReply(ComplaintStub(o)->GetComplaint(context.get(), request, &response), response);
}

int RunHistory(const Options& o, const ComplaintFlags& c) {
  auto stub = ComplaintStub(o);
  v1::GetComplaintHistoryRequest request;
  request.set_complaint_id(c.complaint_id);
  request.set_page_size(1000);
  v1::GetComplaintHistoryResponse history;
  auto context = Context(o);
  auto status = stub->GetComplaintHistory(context.get(), request, &history);
  if (!status.ok()) return Fail(status);
  v1::VerifyComplaintHistoryRequest verify;
  verify.set_complaint_id(c.complaint_id);
  v1::VerifyComplaintHistoryResponse verified;
  auto verify_context = Context(o);
  status = stub->VerifyComplaintHistory(verify_context.get(), verify, &verified);
  if (!status.ok()) return Fail(status);
  std::cout << "{\"history\": " << ToJson(history) << ", \"verification\": " << ToJson(verified, true) << "}\n";
  return 0;
}

int RunReveal(const Options& o, const ComplaintFlags& c) {
  v1::RevealReporterRequest request;
  request.set_complaint_id(c.complaint_id);
  request.set_reason(c.reason);
  v1::RevealReporterResponse response;
  auto context = Context(o);
  return PrintReply(ComplaintStub(o)->RevealReporter(context.get(), request, &response), response);
}

int RunAct(const Options& o, const ComplaintFlags& c) {
  using S = v1::ComplaintService::Stub;
  auto stub = ComplaintStub(o);
  if (c.rpc == "SubmitComplaint") {
    return SendJsonRequest<v1::SubmitComplaintRequest, v1::SubmitComplaintResponse>(
        o, c.file, *stub, [](S& s, auto* ctx, const auto& req, auto* resp) { return s.SubmitComplaint(ctx, req, resp); });
  }
  if (c.rpc == "TransitionComplaint") {
    return SendJsonRequest<v1::TransitionComplaintRequest, v1::TransitionComplaintResponse>(
        o, c.file, *stub,
        [](S& s, auto* ctx, const auto& req, auto* resp) { return s.TransitionComplaint(ctx, req, resp); });
  }
  return SendJsonRequest<v1::RecordOutcomeRequest, v1::RecordOutcomeResponse>(
      o, c.file, *stub, [](S& s, auto* ctx, const auto& req, auto* resp) { return s.RecordOutcome(ctx, req, resp); });
}

}  // namespace

void AddComplaintCommands(CLI::App& app, Commands& commands) {
  auto shared = std::make_shared<ComplaintFlags>();
  ComplaintFlags& c = *shared;
  auto* complaint = app.add_subcommand("complaint", "Complaints");
  complaint->require_subcommand(1);
  auto* status = complaint->add_subcommand("status", "Public status of a complaint by tracking code");
  status->add_option("tracking_code", c.tracking_code, "The reporter's tracking code")->required();
  auto* upload = complaint->add_subcommand("upload", "Upload one evidence file; prints its id for SubmitComplaint");
  upload->add_option("file", c.file, "The file")->required()->check(CLI::ExistingFile);
  upload->add_option("--media-type", c.media_type, "Declared media type (the server detects the real one)");
  auto* get = complaint->add_subcommand("get", "One complaint, in full");
  auto* history = complaint->add_subcommand("history", "A complaint's hash-chained history and its verification");
  auto* reveal = complaint->add_subcommand(
      "reveal", "Unseal a complaint's reporter (Bawaslu of its region; recorded in its history with the reason)");
  for (auto* sub : {get, history, reveal}) sub->add_option("complaint_id", c.complaint_id, "The complaint id")->required();
  reveal->add_option("--reason", c.reason, "Why the reporter's identity is needed (recorded)")->required();
  auto* act = complaint->add_subcommand("act", "Send one request given as protobuf JSON");
  act->add_option("rpc", c.rpc, "The RPC")
      ->required()
      ->check(CLI::IsMember({"SubmitComplaint", "TransitionComplaint", "RecordOutcome"}));
  act->add_option("file", c.file, "The request as protobuf JSON")->required()->check(CLI::ExistingFile);
  commands.On(status, [shared](const Options& o) { return RunStatus(o, *shared); });
  commands.On(upload, [shared](const Options& o) { return RunUpload(o, *shared); });
  commands.On(get, [shared](const Options& o) { return RunGet(o, *shared); });
  commands.On(history, [shared](const Options& o) { return RunHistory(o, *shared); });
  commands.On(reveal, [shared](const Options& o) { return RunReveal(o, *shared); });
  commands.On(act, [shared](const Options& o) { return RunAct(o, *shared); });
}

}  // namespace netra::netractl
