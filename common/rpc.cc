#include "common/rpc.h"

#include <google/protobuf/any.pb.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <grpc/grpc_security_constants.h>

#include <atomic>
#include <charconv>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "common/access_control.h"
#include "common/person_token.h"
#include "common/proto_text.h"
#include "netra/v1/errors.pb.h"

namespace netra {
namespace {

std::atomic<int> max_field_violations{50};

std::string Metadata(const grpc::ServerContext& context, const char* key, size_t max_length) {
  const auto& md = context.client_metadata();
  auto it = md.find(key);
  if (it == md.end()) return {};
  // Metadata comes from outside: bound it before it reaches logs.
  return std::string(it->second.data(), std::min(it->second.size(), max_length));
}

std::mutex trust_domain_mutex;
std::string& TrustDomainRef() {
  static auto* trust_domain = new std::string("netra.local");
  return *trust_domain;
}
std::string TrustDomain() {
  std::lock_guard lock(trust_domain_mutex);
  return TrustDomainRef();
}

std::map<std::string, int>& FaultDelays() {
  static std::map<std::string, int> delays;
  return delays;
}

netra::v1::FieldViolation::Reason ToProto(ViolationReason reason) {
  using R = netra::v1::FieldViolation;
  switch (reason) {
    case ViolationReason::kRequired: return R::REASON_REQUIRED;
    case ViolationReason::kInvalidFormat: return R::REASON_INVALID_FORMAT;
    case ViolationReason::kOutOfRange: return R::REASON_OUT_OF_RANGE;
    case ViolationReason::kTooLong: return R::REASON_TOO_LONG;
    case ViolationReason::kNotFound: return R::REASON_NOT_FOUND;
    case ViolationReason::kInconsistent: return R::REASON_INCONSISTENT;
    case ViolationReason::kUnsupported: return R::REASON_UNSUPPORTED;
  }
  return R::REASON_UNSPECIFIED;
}

// Packs one detail message the way google.rpc.Status carries it, so any gRPC
// client library that understands rich errors can decode it.
grpc::Status WithDetail(grpc::StatusCode code, std::string message, const google::protobuf::Message& detail) {
  message = BoundedText(message);
  netra::v1::ErrorStatus status;
  status.set_code(code);
  status.set_message(message);
  status.add_details()->PackFrom(detail);
  return grpc::Status(code, std::move(message), status.SerializeAsString());
}

// UNAUTHENTICATED without an identity or without a valid person token, else
// PERMISSION_DENIED; an ErrorInfo says why.
grpc::Status AccessDenied(const std::string& reason, const std::string& method, const Caller& caller) {
  netra::v1::ErrorInfo info;
  info.set_reason(reason);
  info.set_domain("netra.access");
  (*info.mutable_metadata())["method"] = method;
  if (!caller.agency.empty()) (*info.mutable_metadata())["caller"] = caller.agency;
  if (!caller.identity) {
    return WithDetail(grpc::StatusCode::UNAUTHENTICATED,
                      reason + ": " + method + " needs a client certificate of the deployment", info);
  }
  if (!caller.token_refusal.empty()) {
    return WithDetail(grpc::StatusCode::UNAUTHENTICATED,
                      reason + ": " + caller.agency + " must name its person with a valid token of an issuer bound to it",
                      info);
  }
  return WithDetail(grpc::StatusCode::PERMISSION_DENIED, reason + ": " + caller.agency + " may not call " + method,
                    info);
}

}  // namespace

Caller IdentifyCaller(const grpc::ServerContext& context) {
  Caller caller;
  // gRPC sets peer_spiffe_id only for a verified certificate with exactly one
  // URI SAN that is a well-formed SPIFFE ID.
  if (auto auth = context.auth_context(); auth && auth->IsPeerAuthenticated()) {
    const auto ids = auth->FindPropertyValues(GRPC_PEER_SPIFFE_ID_PROPERTY_NAME);
    std::string why;
    if (ids.size() == 1) {
      caller.identity = ParseIdentity(std::string_view(ids[0].data(), ids[0].size()), TrustDomain(), &why);
    }
    if (caller.identity) {
      caller.agency = caller.identity->Label();
      caller.authenticated = true;
    }
  }
  const PersonTokens* tokens = CurrentPersonTokens();
  const std::string bearer = Metadata(context, "authorization", kMaxTokenBytes + 16);
  if (tokens && caller.identity && (!bearer.empty() || tokens->SpeaksFor(*caller.identity))) {
    // An issuer speaks for this agency, or the caller sent a token: the person
    // is the one it names, or nobody and the call is refused.
    static constexpr char kScheme[] = "Bearer ";  // the scheme is case-insensitive (RFC 9110)
    TokenCheck check;
    if (bearer.empty()) {
      check = {std::nullopt, std::string(kTokenRequired), "no authorization: Bearer token"};
    } else if (bearer.size() <= sizeof kScheme - 1 || !absl::EqualsIgnoreCase(bearer.substr(0, sizeof kScheme - 1), kScheme)) {
      check = {std::nullopt, std::string(kTokenInvalid), "authorization is not a Bearer token"};
    } else {
      check = tokens->Verify(std::string_view(bearer).substr(sizeof kScheme - 1), *caller.identity, absl::Now());
    }
    if (check.person) {
      caller.actor = std::move(check.person->id);
      caller.actor_name = std::move(check.person->name);
      caller.person = Caller::Person::kVerified;
    } else {
      caller.token_refusal = std::move(check.reason);
      caller.token_detail = std::move(check.detail);
    }
  } else if (std::string asserted = Metadata(context, "x-netra-actor", 128); !asserted.empty()) {
    caller.actor = std::move(asserted);
    caller.person = Caller::Person::kAsserted;
  }
  if (caller.actor.empty()) caller.actor = caller.agency.empty() ? "anonymous" : caller.agency;
  return caller;
}

Actor ActorOf(const Caller& caller) {
  Actor actor;
  actor.id = caller.actor;
  actor.display_name = caller.actor_name;
  actor.organization = caller.agency;
  if (caller.identity && caller.identity->kind == IdentityKind::kService) {
    actor.kind = Actor::Kind::kService;
  } else if (caller.person == Caller::Person::kVerified) {
    actor.kind = Actor::Kind::kPerson;
  } else if (caller.person == Caller::Person::kAsserted) {
    actor.kind = Actor::Kind::kAssertedPerson;
  } else {
    actor.kind = caller.identity ? Actor::Kind::kAgency : Actor::Kind::kPublic;
  }
  return actor;
}

void SetTrustDomain(const std::string& trust_domain) {
  std::lock_guard lock(trust_domain_mutex);
  TrustDomainRef() = trust_domain;
}

CallScope::CallScope(const grpc::ServerContext& context, std::string_view service, std::string_view method)
    : request_id_(Metadata(context, "x-request-id", 64)),
      caller_(IdentifyCaller(context)),
      log_scope_(std::string(method), request_id_) {
  method_ = std::string(service) + "/" + std::string(method);
  if (AccessControl* control = CurrentAccessControl()) {
    const AccessDecision decision = control->Check(method_, caller_.identity ? &*caller_.identity : nullptr);
    if (!decision.allowed) {
      access_ = AccessDenied(decision.reason, method_, caller_);
    } else if (!caller_.token_refusal.empty()) {
      control->Refused(method_, caller_.token_refusal, &*caller_.identity, caller_.token_detail);
      access_ = AccessDenied(caller_.token_refusal, method_, caller_);
    }
  }
  const auto& delays = FaultDelays();
  if (!delays.empty()) {
    auto it = delays.find(std::string(method));
    if (it != delays.end()) std::this_thread::sleep_for(std::chrono::milliseconds(it->second));
  }
}

grpc::Status CallScope::Refuse(const AccessDecision& decision) const {
  Refused(decision.reason);
  return AccessDenied(decision.reason, method_, caller_);
}

bool CallScope::Enforced() const { return CurrentAccessControl() && caller_.identity; }

grpc::Status CallScope::Authorize(const Resource& resource) const {
  if (!Enforced()) return grpc::Status::OK;  // plaintext development, or a public method
  const AccessDecision decision = netra::Authorize(*caller_.identity, resource);
  return decision.allowed ? grpc::Status::OK : Refuse(decision);
}

grpc::Status CallScope::NarrowToScope(Filter* filter) const {
  if (!CurrentAccessControl() || !caller_.identity) return grpc::Status::OK;
  const AccessDecision decision = netra::NarrowToScope(*caller_.identity, filter);
  return decision.allowed ? grpc::Status::OK : Refuse(decision);
}

bool CallScope::Sees(const Resource& resource) const {
  if (!Enforced()) return true;
  const AccessDecision decision = netra::Authorize(*caller_.identity, resource);
  if (!decision.allowed) (void)Refuse(decision);
  return decision.allowed;
}

void CallScope::Refused(std::string_view reason) const {
  if (AccessControl* control = CurrentAccessControl()) {
    control->Refused(method_, reason, caller_.identity ? &*caller_.identity : nullptr);
  }
}

std::string CallScope::RegionScope() const { return Enforced() ? netra::RegionScope(*caller_.identity) : ""; }

void SetFaultDelays(const std::map<std::string, int>& delays_ms) { FaultDelays() = delays_ms; }

void SetMaxFieldViolations(int max) { max_field_violations = std::max(1, max); }

std::string BoundedText(std::string_view message, size_t max_bytes) {
  if (message.size() <= max_bytes) return std::string(message);
  size_t end = max_bytes > 3 ? max_bytes - 3 : 0;
  // Back up to the start of a UTF-8 sequence so that the cut never splits one.
  while (end > 0 && (static_cast<unsigned char>(message[end]) & 0xC0) == 0x80) --end;
  return std::string(message.substr(0, end)) + "...";
}

grpc::Status CheckRequestText(const google::protobuf::Message& request, const std::string& prefix) {
  Violations violations;
  FindInvalidUtf8(request, prefix, violations);
  if (violations.empty()) return grpc::Status::OK;
  return InvalidArgument(violations);
}

grpc::Status InvalidArgument(const Violations& violations) {
  // Paths and descriptions may quote the request; each is cut so that the
  // listed ones fit in a small answer.
  constexpr size_t kMaxFieldBytes = 256;
  const size_t listed = std::min(violations.list().size(), static_cast<size_t>(max_field_violations.load()));
  netra::v1::BadRequest detail;
  std::string message = "invalid request:";
  for (size_t i = 0; i < listed; ++i) {
    const auto& v = violations.list()[i];
    auto* fv = detail.add_field_violations();
    fv->set_field(BoundedText(v.field, kMaxFieldBytes));
    fv->set_reason(ToProto(v.reason));
    fv->set_description(BoundedText(v.description, kMaxFieldBytes));
    if (message.size() < kMaxStatusMessageBytes) message += " " + fv->field() + ": " + fv->description() + ";";
  }
  if (!message.empty() && message.back() == ';') message.pop_back();
  const size_t omitted = violations.size() - listed;
  detail.set_omitted_violation_count(static_cast<int32_t>(std::min<size_t>(omitted, INT32_MAX)));
  std::string more = omitted > 0 ? " (and " + std::to_string(omitted) + " more)" : "";
  message = BoundedText(message, kMaxStatusMessageBytes - more.size()) + more;
  return WithDetail(grpc::StatusCode::INVALID_ARGUMENT, std::move(message), detail);
}

void AddFieldViolations(const Violations& violations,
                        google::protobuf::RepeatedPtrField<netra::v1::FieldViolation>* out) {
  for (const auto& v : violations.list()) {
    auto* fv = out->Add();
    fv->set_field(v.field);
    fv->set_reason(ToProto(v.reason));
    fv->set_description(v.description);
  }
}

void RequestHash::Add(std::string_view bytes) {
  // The same bytes as to_string(size) + ":", without a string per piece (an
  // import adds three pieces per row).
  char prefix[24];
  char* end = std::to_chars(prefix, prefix + sizeof prefix - 1, bytes.size()).ptr;
  *end++ = ':';
  sha256_.Update(std::string_view(prefix, static_cast<size_t>(end - prefix))).Update(bytes);
}

std::string RequestHashOf(const google::protobuf::Message& message) {
  RequestHash hash;
  hash.Add(DeterministicBytes(message));
  return hash.Finish();
}

std::string DeterministicBytes(const google::protobuf::Message& message) {
  std::string out;
  DeterministicBytes(message, &out);
  return out;
}

void DeterministicBytes(const google::protobuf::Message& message, std::string* out) {
  out->clear();
  google::protobuf::io::StringOutputStream stream(out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&coded);
  coded.Trim();
}

grpc::Status InvalidArgument(std::string field, ViolationReason reason, std::string description) {
  Violations v;
  v.Add(std::move(field), reason, std::move(description));
  return InvalidArgument(v);
}

grpc::Status ToStatus(const Error& error) {
  // Names and messages may quote the request (an id the client sent): cut.
  auto resource = [&error] {
    netra::v1::ResourceInfo info;
    info.set_resource_type(BoundedText(error.resource_type, 256));
    info.set_resource_name(BoundedText(error.resource_name, 256));
    info.set_description(BoundedText(error.message));
    return info;
  };
  switch (error.kind) {
    case Error::Kind::kInvalidArgument: return InvalidArgument(error.violations);
    case Error::Kind::kNotFound: return WithDetail(grpc::StatusCode::NOT_FOUND, error.message, resource());
    case Error::Kind::kAlreadyExists: return WithDetail(grpc::StatusCode::ALREADY_EXISTS, error.message, resource());
    case Error::Kind::kFailedPrecondition: return FailedPrecondition(error.state, error.action, error.allowed);
    case Error::Kind::kAborted: {
      netra::v1::VersionConflict conflict;
      conflict.set_resource_type(BoundedText(error.resource_type, 256));
      conflict.set_resource_id(BoundedText(error.resource_name, 256));
      conflict.set_expected_version(error.expected_version);
      conflict.set_current_version(error.current_version);
      return WithDetail(grpc::StatusCode::ABORTED, error.message, conflict);
    }
    case Error::Kind::kUnavailable: return Unavailable(error.message);
    case Error::Kind::kPermissionDenied: return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, BoundedText(error.message));
    case Error::Kind::kInternal: break;
  }
  log::Error("internal error", {{"error", error.message}});
  return InternalError("internal error; the operators have the details in the service log");
}

grpc::Status NotFound(std::string message) { return grpc::Status(grpc::StatusCode::NOT_FOUND, BoundedText(message)); }
grpc::Status AlreadyExists(std::string message) {
  return grpc::Status(grpc::StatusCode::ALREADY_EXISTS, BoundedText(message));
}
grpc::Status Aborted(std::string message) { return grpc::Status(grpc::StatusCode::ABORTED, BoundedText(message)); }
grpc::Status Unavailable(std::string message) {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, BoundedText(message));
}
grpc::Status InternalError(std::string message) {
  return grpc::Status(grpc::StatusCode::INTERNAL, std::move(message));
}

grpc::Status FailedPrecondition(std::string current_state, std::string action, const std::vector<std::string>& allowed) {
  netra::v1::PreconditionFailure detail;
  current_state = BoundedText(current_state, 256);
  action = BoundedText(action, 256);
  std::string message = "action " + action + " is not allowed in state " + current_state + "; allowed:";
  for (const auto& a : allowed) message += " " + a;
  if (allowed.empty()) message += " none";
  detail.set_current_state(current_state);
  detail.set_attempted_action(action);
  for (const auto& a : allowed) detail.add_allowed_actions(a);
  detail.set_description(message);
  return WithDetail(grpc::StatusCode::FAILED_PRECONDITION, std::move(message), detail);
}

}  // namespace netra
