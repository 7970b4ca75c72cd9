// What every gRPC handler uses: who is calling, a per-call scope for logs, and
// the mapping from domain outcomes to gRPC statuses with machine-readable details.
#pragma once

#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/log.h"
#include "common/result.h"
#include "common/store_error.h"
#include "common/validation.h"
#include "common/digest.h"
#include "common/authorize.h"
#include "common/history_chain.h"
#include "common/identity.h"
#include "netra/v1/errors.pb.h"

namespace netra {

// The caller of an RPC. The agency or service comes only from the client
// certificate that TLS verified (its SPIFFE ID, docs/security.md); metadata
// never grants anything. The person acting comes from a token an issuer bound
// to the agency signed (common/person_token.h), or else is what the agency's
// system asserts in x-netra-actor, and is recorded as such.
struct Caller {
  enum class Person {
    kNone,      // nobody named: the agency's system itself, or the public
    kVerified,  // a token Netra verified names the person
    kAsserted,  // the agency's system names the person (x-netra-actor), unverified
  };
  std::optional<Identity> identity;  // from the certificate; none without one (or in plaintext development)
  std::string agency;       // identity->Label(), e.g. "bawaslu/33.74"; empty without one
  std::string actor;        // the person's id ("bawaslu-sso:officer-12", or as asserted), else the
                            // agency, else "anonymous"
  std::string actor_name;   // a verified person's name, if the token gives one
  Person person = Person::kNone;
  bool authenticated = false;  // a verified certificate named the agency
  std::string token_refusal;   // a kToken reason (common/person_token.h): the call is UNAUTHENTICATED
  std::string token_detail;    // why, for the log line only
};
Caller IdentifyCaller(const grpc::ServerContext& context);
// Who a history entry, a decision or an access log records for `caller`: the
// person and the agency they act for, with the kind saying how Netra knows.
Actor ActorOf(const Caller& caller);
// The trust domain whose SPIFFE IDs name callers (set once at start).
void SetTrustDomain(const std::string& trust_domain);

// Lives for the duration of a handler: who is calling, whether the access
// policy lets them (common/access_control.h), log lines stamped with the
// method and the request id (x-request-id metadata), and any configured fault
// delay. Every handler starts with
//
//   CallScope scope(*context, v1::RegistryService::service_full_name(), "GetEmployee");
//   if (!scope.access().ok()) return scope.access();
class CallScope {
 public:
  // `service`: the full service name ("netra.v1.RegistryService"); `method`: the RPC's name.
  CallScope(const grpc::ServerContext& context, std::string_view service, std::string_view method);
  const Caller& caller() const { return caller_; }
  // OK, or UNAUTHENTICATED / PERMISSION_DENIED with an ErrorInfo naming the reason.
  const grpc::Status& access() const { return access_; }

  // The caller's right to act on `resource` (common/authorize.h): OK, or
  // PERMISSION_DENIED, counted and logged like the policy's refusals. OK
  // when nothing is enforced (plaintext development).
  grpc::Status Authorize(const Resource& resource) const;
  // Whether Authorize can refuse anything: a handler reads an object to ask
  // about only then.
  bool Enforced() const;
  // Narrows a list or statistics call's filter to the caller's scope
  // (NarrowToScope in common/authorize.h); PERMISSION_DENIED when it reaches outside.
  grpc::Status NarrowToScope(Filter* filter) const;
  // For an object asked for by id: whether the caller may see it. A refusal
  // is counted and logged like Authorize's, but the handler answers as if
  // the object did not exist, so that a caller cannot tell another region's
  // objects from ids that name nothing (docs/security.md).
  bool Sees(const Resource& resource) const;
  // The region the caller's objects must lie in (RegionScope in
  // common/authorize.h); "" when nothing is enforced.
  std::string RegionScope() const;
  // Counts and logs a refusal a store decided with RegionScope (an import's
  // rows outside the region, each reported in the response); the call goes on.
  void Refused(std::string_view reason) const;

  // "netra.v1.RegistryService/GetEmployee", and the call's x-request-id (may be empty).
  const std::string& method() const { return method_; }
  const std::string& request_id() const { return request_id_; }

 private:
  grpc::Status Refuse(const AccessDecision& decision) const;

  std::string method_;  // "netra.v1.Service/Method"
  std::string request_id_;
  Caller caller_;
  log::CallLogScope log_scope_;
  grpc::Status access_;
};

// Fault injection for drills and tests (--fault-delay METHOD=MS). Set once at start.
void SetFaultDelays(const std::map<std::string, int>& delays_ms);

// Error answers stay small whatever the request holds: INVALID_ARGUMENT lists
// at most this many violations (--max-field-violations, default 50) and counts
// the rest; every status message is cut to kMaxStatusMessageBytes.
void SetMaxFieldViolations(int max);
inline constexpr size_t kMaxStatusMessageBytes = 1024;
// `message` cut to at most `max_bytes` on a UTF-8 boundary, with "..." when cut.
std::string BoundedText(std::string_view message, size_t max_bytes = kMaxStatusMessageBytes);

// INVALID_ARGUMENT naming every string field of `request` (nested and repeated
// ones too) that is not valid UTF-8, each path under `prefix`; OK when there is
// none. Every handler checks its request with it first, and RequestStream each
// stream message (see proto_text.h for why parsing no longer does).
grpc::Status CheckRequestText(const google::protobuf::Message& request, const std::string& prefix = {});

// The status for a domain error; INVALID_ARGUMENT and FAILED_PRECONDITION carry details.
grpc::Status ToStatus(const Error& error);

// A domain rule (RuleOn, result.h) of a handler's check on the record. A
// refusal is kept in *denied, which the handler answers with: its status has
// the reason and details the domain's Error does not carry.
template <class Record, class Check>
RuleOn<Record> RefusalKept(Check check, grpc::Status* denied) {
  return [check = std::move(check), denied](const Record& record) -> std::optional<Error> {
    *denied = check(record);
    if (denied->ok()) return std::nullopt;
    return Error::Denied(denied->error_message());
  };
}

// Runs a handler body that calls a store read which throws (rather than
// returning a Result): a StoreError becomes ToStatus(StoreFailure(...)),
// UNAVAILABLE when retrying can help, else INTERNAL with the cause in the log only.
template <class Fn>
grpc::Status GuardStore(std::string_view operation, Fn&& fn) {
  try {
    return fn();
  } catch (const StoreError& e) {
    return ToStatus(StoreFailure(e, operation));
  }
}

// Status constructors. Messages are for people; details are for programs.
grpc::Status InvalidArgument(const Violations& violations);
grpc::Status InvalidArgument(std::string field, ViolationReason reason, std::string description);
grpc::Status NotFound(std::string message);
grpc::Status AlreadyExists(std::string message);
grpc::Status Aborted(std::string message);
grpc::Status Unavailable(std::string message);
grpc::Status InternalError(std::string message);
// An illegal state transition: names the state, the action and the actions allowed from it.
grpc::Status FailedPrecondition(std::string current_state, std::string action, const std::vector<std::string>& allowed);

// Appends each violation as a netra.v1.FieldViolation (e.g. the violations of
// an import's RowError).
void AddFieldViolations(const Violations& violations,
                        google::protobuf::RepeatedPtrField<netra::v1::FieldViolation>* out);

// SHA-256 over a request fed piece by piece (streams too), each piece length-
// prefixed so that pieces cannot run into each other: the request_hash of an
// idempotency record. Feed a NIK only as its HMAC.
class RequestHash {
 public:
  void Add(std::string_view bytes);
  std::string Finish() { return sha256_.Finish(); }  // 32 bytes

 private:
  Sha256 sha256_;
};

// A message's deterministic serialization (map entries in key order), to feed
// a RequestHash.
std::string DeterministicBytes(const google::protobuf::Message& message);
// The same into *out, replacing its content and reusing its capacity (per-row
// hashing of a stream).
void DeterministicBytes(const google::protobuf::Message& message, std::string* out);
// The request_hash of a request that is one message.
std::string RequestHashOf(const google::protobuf::Message& message);

}  // namespace netra
