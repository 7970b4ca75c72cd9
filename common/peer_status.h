// What a peer service's answer means to us. Written once and used by every
// call one service makes to another (registry lookups, forwarding, outcome
// and disciplinary-status deliveries), so that a peer refusing a request is
// never mistaken for a peer being down, and the other way round.
#pragma once

#include <grpcpp/support/status.h>

#include <string>
#include <string_view>

#include "common/outbox.h"
#include "common/result.h"

namespace netra {

// True when the same call may succeed later without anyone changing it: the
// peer is unreachable, overloaded, out of time, racing another writer, or
// failed inside (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED,
// CANCELLED, INTERNAL, UNKNOWN, DATA_LOSS). False for an answer about the
// request itself (INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS,
// FAILED_PRECONDITION, OUT_OF_RANGE, PERMISSION_DENIED, UNAUTHENTICATED,
// UNIMPLEMENTED): sending it again changes nothing.
bool IsTransient(grpc::StatusCode code);

// A call to a peer, described for the caller's error.
struct PeerCall {
  std::string_view peer;           // "registry"
  std::string_view resource_type;  // what was asked for, e.g. "employee"
  std::string_view resource_name;  // its id as the caller gave it
  std::string_view field;          // the caller's request field it came from, e.g. "subject_employee_id"
};

// A peer's failed status as this service's outcome, keeping its meaning:
// transient codes are Unavailable; NOT_FOUND is NotFound(resource);
// INVALID_ARGUMENT and OUT_OF_RANGE are Invalid on `field`; ALREADY_EXISTS is
// AlreadyExists; FAILED_PRECONDITION keeps the peer's state and allowed
// actions; PERMISSION_DENIED, UNAUTHENTICATED and UNIMPLEMENTED are a fault
// of this deployment (Internal), not the caller's and not an outage.
Error FromPeerStatus(const grpc::Status& status, const PeerCall& call);

// "<Code>: <message>" (the code as in metrics, e.g. "NotFound"), the message
// cut to a bounded length: for logs and a delivery's last_error (the peers'
// messages hold no personal data).
std::string DescribePeerStatus(const grpc::Status& status);

// A background delivery's call (`rpc`, e.g. "OpenCase") as the outbox's
// outcome: ok; failed when IsTransient (retried with backoff); refused
// otherwise (parked until an operator retries it).
OutboxDispatcher::Delivery DeliveryOf(const grpc::Status& status, std::string_view rpc);

}  // namespace netra
