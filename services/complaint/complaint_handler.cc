#include "services/complaint/complaint_handler.h"

#include <google/protobuf/util/time_util.h>

#include "absl/time/clock.h"
#include "common/rpc.h"
#include "netra/v1/errors.pb.h"
#include "services/complaint/complaint_proto.h"

namespace netra::complaint {
namespace {

namespace v1 = netra::v1;
using google::protobuf::util::TimeUtil;


// Bawaslu acts on the complaints of its region: a complaint is where the act was.
grpc::Status AuthorizeOn(const CallScope& scope, const Complaint& complaint) {
  return scope.Authorize(Resource{.region_code = complaint.act.region_code});
}

// Lists and statistics stay in the caller's region; one reaching outside it is refused.
grpc::Status NarrowToRegion(const CallScope& scope, std::string* region_code) {
  Filter filter{*region_code, {}, {}};
  auto denied = scope.NarrowToScope(&filter);
  *region_code = std::move(filter.region_code);
  return denied;
}

grpc::Status RateLimitedStatus(const RateLimited& limited) {
  v1::RetryInfo retry;
  *retry.mutable_retry_delay() = TimeUtil::MillisecondsToDuration(limited.retry_after.count());
  const bool contact = limited.limit == "contact", lookup = limited.limit == "status_peer";
  retry.set_limit(contact ? "reporter_contact" : lookup ? "status_peer_address" : "peer_address");
  std::string message = std::string(lookup ? "too many status lookups" : "too many submissions") + " from this " +
                        (contact ? "contact" : "address") + "; retry in " +
                        std::to_string((limited.retry_after.count() + 999) / 1000) + " s";
  v1::ErrorStatus status;
  status.set_code(grpc::StatusCode::RESOURCE_EXHAUSTED);
  status.set_message(message);
  status.add_details()->PackFrom(retry);
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, message, status.SerializeAsString());
}

// The complaint as every caller sees it: the reporter sealed (only RevealReporter unseals it).
void Answer(Complaint complaint, v1::Complaint* out) {
  SealReporter(complaint);
  ToProto(complaint, out);
}

void Answer(SubmitResult result, v1::SubmitComplaintResponse* out) {
  Answer(std::move(result.complaint), out->mutable_complaint());
  out->set_joined_existing_cluster(result.joined_existing_cluster);
  out->set_receipt(result.receipt);
}

}  // namespace

grpc::Status ComplaintHandler::SubmitComplaint(grpc::ServerContext* context, const v1::SubmitComplaintRequest* request,
                                               v1::SubmitComplaintResponse* response) {
  CallScope scope(*context, v1::ComplaintService::service_full_name(), "SubmitComplaint");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  return GuardStore("SubmitComplaint", [&] {
    const bool public_intake = request->channel() == v1::INTAKE_CHANNEL_UNSPECIFIED ||
                               request->channel() == v1::INTAKE_CHANNEL_PUBLIC_PORTAL;
    // The hash covers the NIK's HMAC, never the NIK.
    std::string request_hash;
    if (request->reporter().nik().empty()) {
      request_hash = RequestHashOf(*request);
    } else {
      v1::SubmitComplaintRequest hashed = *request;
      hashed.mutable_reporter()->set_nik(nik_hasher_.Hash(request->reporter().nik()));
      request_hash = RequestHashOf(hashed);
    }
    if (public_intake) {
      // A retry gets its first answer before the limits count it.
      if (auto earlier = complaints_.EarlierSubmission(request->request_id(), request_hash)) {
        if (!earlier->ok()) return ToStatus(earlier->error());
        Answer(std::move(earlier->value()), response);
        return grpc::Status::OK;
      }
      if (auto limited = complaints_.CheckIntakeLimits(request->reporter().contact().substr(0, 256),
                                                        client_address_.Of(*context))) {
        return RateLimitedStatus(*limited);
      }
    }
    auto result = complaints_.Submit(ToCommand(*request), request_hash, ActorOf(scope.caller()),
                                     absl::Now());
    if (!result.ok()) return ToStatus(result.error());
    Answer(std::move(result.value()), response);
    return grpc::Status::OK;
  });
}

grpc::Status ComplaintHandler::UploadEvidenceStream(grpc::ServerContext* context,
                                                    RequestStream<v1::UploadEvidenceRequest>* reader,
                                                    v1::UploadEvidenceResponse* response) {
  CallScope scope(*context, v1::ComplaintService::service_full_name(), "UploadEvidence");
  if (!scope.access().ok()) return scope.access();
  return GuardStore("UploadEvidenceStream", [&] {
    v1::UploadEvidenceRequest message;
    if (!reader->Read(&message)) {
      if (!reader->status().ok()) return reader->status();
      return InvalidArgument("chunk", ViolationReason::kRequired, "the stream was empty");
    }
    auto upload = evidence_.Begin(message);
    if (!upload.ok()) return ToStatus(upload.error());
    int index = 0;
    do {
      if (index > 0 && (!message.request_id().empty() || !message.file_name().empty() || message.total_size() != 0 ||
                        !message.expected_sha256().empty())) {
        return InvalidArgument("request_id", ViolationReason::kInconsistent,
                               "metadata belongs in the first message only (message " + std::to_string(index) + ")");
      }
      auto appended = upload.value()->Append(message.chunk(), index);
      if (!appended.ok()) return ToStatus(appended.error());
      ++index;
    } while (reader->Read(&message));
    if (!reader->status().ok()) return reader->status();  // the temporary file is discarded
    // A client that went away mid-stream sent a truncated file: nothing is kept.
    if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "upload cancelled; nothing stored");
    auto finished = upload.value()->Finish(TimeUtil::TimestampToMicroseconds(TimeUtil::GetCurrentTime()));
    if (!finished.ok()) return ToStatus(finished.error());
    *response = std::move(finished.value());
    return grpc::Status::OK;
  });
}

grpc::Status ComplaintHandler::AuthorizeComplaint(const CallScope& scope, const std::string& complaint_id) {
  if (!scope.Enforced()) return grpc::Status::OK;
  auto complaint = complaints_.Get(complaint_id);
  return complaint.ok() ? AuthorizeOn(scope, complaint.value()) : grpc::Status::OK;
}

grpc::Status ComplaintHandler::GetComplaint(grpc::ServerContext* context, const v1::GetComplaintRequest* request,
                                            v1::GetComplaintResponse* response) {
  CallScope scope(*context, v1::ComplaintService::service_full_name(), "GetComplaint");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  return GuardStore("GetComplaint", [&] {
    auto result = complaints_.Get(request->complaint_id());
    if (!result.ok()) return ToStatus(result.error());
    if (auto denied = AuthorizeOn(scope, result.value()); !denied.ok()) return denied;
    Answer(std::move(result.value()), response->mutable_complaint());
    return grpc::Status::OK;
  });
}

grpc::Status ComplaintHandler::GetComplaintStatus(grpc::ServerContext* context,
                                                  const v1::GetComplaintStatusRequest* request,
                                                  v1::GetComplaintStatusResponse* response) {
  CallScope scope(*context, v1::ComplaintService::service_full_name(), "GetComplaintStatus");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  return GuardStore("GetComplaintStatus", [&] {
    if (auto limited = complaints_.CheckStatusLimit(client_address_.Of(*context))) return RateLimitedStatus(*limited);
    auto view = complaints_.GetPublicView(request->tracking_code());
    if (!view.ok()) return ToStatus(view.error());
    ToProto(view.value(), response);
    return grpc::Status::OK;
  });
}

grpc::Status ComplaintHandler::ListComplaints(grpc::ServerContext* context, const v1::ListComplaintsRequest* request,
                                              v1::ListComplaintsResponse* response) {
  CallScope scope(*context, v1::ComplaintService::service_full_name(), "ListComplaints");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  return GuardStore("ListComplaints", [&] {
    ListQuery query = ToQuery(*request);
    if (auto denied = NarrowToRegion(scope, &query.region_code); !denied.ok()) return denied;
    auto result = complaints_.List(query);
    if (!result.ok()) return ToStatus(result.error());
    for (Complaint& c : result.value().complaints) SealReporter(c);
    ToProto(result.value(), response);
    return grpc::Status::OK;
  });
}

grpc::Status ComplaintHandler::TransitionComplaint(grpc::ServerContext* context,
                                                   const v1::TransitionComplaintRequest* request,
                                                   v1::TransitionComplaintResponse* response) {
  CallScope scope(*context, v1::ComplaintService::service_full_name(), "TransitionComplaint");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  return GuardStore("TransitionComplaint", [&] {
    grpc::Status denied;  // the region check, on the complaint the change reads anyway
    auto result = complaints_.Transition(
        ToCommand(*request), RequestHashOf(*request), ActorOf(scope.caller()), absl::Now(),
        RefusalKept<Complaint>([&](const Complaint& complaint) { return AuthorizeOn(scope, complaint); }, &denied));
    if (!denied.ok()) return denied;
    if (!result.ok()) return ToStatus(result.error());
    Answer(std::move(result.value()), response->mutable_complaint());
    return grpc::Status::OK;
  });
}

grpc::Status ComplaintHandler::GetComplaintHistory(grpc::ServerContext* context,
                                                   const v1::GetComplaintHistoryRequest* request,
                                                   v1::GetComplaintHistoryResponse* response) {
  CallScope scope(*context, v1::ComplaintService::service_full_name(), "GetComplaintHistory");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  return GuardStore("GetComplaintHistory", [&] {
    if (auto denied = AuthorizeComplaint(scope, request->complaint_id()); !denied.ok()) return denied;
    auto result = complaints_.History(ToQuery(*request));
    if (!result.ok()) return ToStatus(result.error());
    ToProto(result.value(), response);
    return grpc::Status::OK;
  });
}

grpc::Status ComplaintHandler::VerifyComplaintHistory(grpc::ServerContext* context,
                                                      const v1::VerifyComplaintHistoryRequest* request,
                                                      v1::VerifyComplaintHistoryResponse* response) {
  CallScope scope(*context, v1::ComplaintService::service_full_name(), "VerifyComplaintHistory");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  return GuardStore("VerifyComplaintHistory", [&] {
    if (auto denied = AuthorizeComplaint(scope, request->complaint_id()); !denied.ok()) return denied;
    auto result = complaints_.Verify(request->complaint_id());
    if (!result.ok()) return ToStatus(result.error());
    ToProto(result.value(), TimeUtil::TimestampToMicroseconds(TimeUtil::GetCurrentTime()),
            response->mutable_verification());
    return grpc::Status::OK;
  });
}

grpc::Status ComplaintHandler::RecordOutcome(grpc::ServerContext* context, const v1::RecordOutcomeRequest* request,
                                             v1::RecordOutcomeResponse* response) {
  CallScope scope(*context, v1::ComplaintService::service_full_name(), "RecordOutcome");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  return GuardStore("RecordOutcome", [&] {
    auto result = complaints_.RecordOutcome(ToCommand(*request), RequestHashOf(*request),
                                            ActorOf(scope.caller()), absl::Now());
    if (!result.ok()) return ToStatus(result.error());
    Answer(std::move(result.value()), response->mutable_complaint());
    return grpc::Status::OK;
  });
}

grpc::Status ComplaintHandler::GetComplaintStats(grpc::ServerContext* context,
                                                 const v1::GetComplaintStatsRequest* request,
                                                 v1::GetComplaintStatsResponse* response) {
  CallScope scope(*context, v1::ComplaintService::service_full_name(), "GetComplaintStats");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  return GuardStore("GetComplaintStats", [&] {
    StatsQuery query = ToQuery(*request);
    if (auto denied = NarrowToRegion(scope, &query.region_code); !denied.ok()) return denied;
    auto result = complaints_.Stats(query, absl::Now());
    if (!result.ok()) return ToStatus(result.error());
    ToProto(result.value(), response);
    return grpc::Status::OK;
  });
}

grpc::Status ComplaintHandler::RevealReporter(grpc::ServerContext* context, const v1::RevealReporterRequest* request,
                                              v1::RevealReporterResponse* response) {
  CallScope scope(*context, v1::ComplaintService::service_full_name(), "RevealReporter");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  return GuardStore("RevealReporter", [&] {
    // Only Bawaslu of the complaint's region (the policy names the kind, Authorize the region).
    if (auto denied = AuthorizeComplaint(scope, request->complaint_id()); !denied.ok()) return denied;
    auto result = complaints_.RevealReporter(ToCommand(*request), ActorOf(scope.caller()),
                                             absl::Now());
    if (!result.ok()) return ToStatus(result.error());
    // The history says why; the access log answers "who was shown this reporter" beside the registry's reads.
    if (auto refused = access_log_.Record(scope, kSubjectReporter, {request->complaint_id()}); !refused.ok()) {
      return refused;
    }
    ToProto(result.value().reporter, response->mutable_reporter());
    response->set_history_sequence(result.value().history_sequence);
    return grpc::Status::OK;
  });
}

grpc::Status ComplaintHandler::ListReporterReads(grpc::ServerContext* context,
                                                 const v1::ListReporterReadsRequest* request,
                                                 v1::ListReporterReadsResponse* response) {
  CallScope scope(*context, v1::ComplaintService::service_full_name(), "ListReporterReads");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  return AnswerPersonalDataReads(access_log_, kSubjectReporter, request->complaint_id(), *request, response);
}

}  // namespace netra::complaint
