// Append-only, hash-chained history of a resource (a complaint, a case).
//
// Every change to the resource is one entry; entry n stores
//   hash = SHA-256(prev_hash || canonical_event)
// where prev_hash is entry n-1's hash (32 zero bytes for the first) and
// canonical_event is canonical JSON of the entry's fields. The resource row
// records the head (last sequence and hash) in the same transaction, so that
// editing, deleting, inserting or reordering entries, or cutting off the tail,
// is detected by VerifyHistory. The contract is spelled out for clients in
// proto/netra/v1/types.proto (HistoryEntry).
//
// This is the pure part (ChainEntry, VerifyHistory): domain code, in netra_base.
// Storage (HistoryLog) and the proto conversions are in history.h.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace netra {

// Who caused an event (proto netra.v1.Actor).
struct Actor {
  // As netra.v1.ActorKind: kPerson is verified by a token, kAssertedPerson
  // only named by the calling agency, kAgency is the agency's system itself.
  enum class Kind { kUnspecified = 0, kPerson = 1, kService = 2, kSystem = 3, kPublic = 4, kAssertedPerson = 5, kAgency = 6 };
  std::string id;  // "bawaslu-33.74/officer-12", "svc:netra-sanction", "system:sweeper"; never a NIK
  Kind kind = Kind::kUnspecified;
  std::string display_name;
  std::string organization;
};

// The last entry of a chain as recorded on the resource. Sequence 0 and 32
// zero bytes for a resource without history yet.
struct HistoryHead {
  int64_t sequence = 0;
  std::string hash = std::string(32, '\0');  // raw 32 bytes
};

struct HistoryEntry {
  int64_t sequence = 0;
  std::string event_type;    // lower-case dotted, e.g. "complaint.submitted"
  Actor actor;
  int64_t event_time_us = 0;  // unix microseconds, UTC
  std::string payload_json;   // a JSON object, canonical (sorted keys, no whitespace)
  std::string prev_hash;      // raw 32 bytes
  std::string hash;           // raw 32 bytes
  std::string canonical_event;  // the exact bytes the hash covers
};

// The canonical bytes of an event: JSON with sorted keys and no insignificant
// whitespace of {actor, event_time (RFC 3339 UTC, microseconds), event_type,
// payload, sequence}.
std::string CanonicalEvent(int64_t sequence, std::string_view event_type, const Actor& actor, int64_t event_time_us,
                           const nlohmann::json& payload);

// The next entry after `head`: sequence head+1, prev_hash head.hash, hash over
// the canonical event. `payload` must be a JSON object (asserted).
HistoryEntry ChainEntry(const HistoryHead& head, std::string event_type, Actor actor, int64_t event_time_us,
                        const nlohmann::json& payload);

// The head an entry leaves behind.
inline HistoryHead HeadOf(const HistoryEntry& entry) { return {entry.sequence, entry.hash}; }

struct HistoryVerification {
  enum class Break {
    kNone = 0,
    kHashMismatch = 1,      // an entry was edited
    kPrevHashMismatch = 2,  // an entry was deleted, inserted or reordered
    kSequenceGap = 3,       // a sequence number is missing or repeated
    kHeadMismatch = 4,      // the tail was cut off or replaced
    kContentMismatch = 5,   // canonical_event disagrees with the structured fields
  };
  bool intact = true;
  int64_t entries_checked = 0;
  int64_t first_broken_sequence = 0;
  Break break_kind = Break::kNone;
  std::string description;
  std::string head_hash;  // raw hash of the last entry checked (32 zero bytes if none)
};

// Checks `entries` (ascending sequence, the whole chain from 1) against the
// head recorded on the resource. Stops at the first break.
HistoryVerification VerifyHistory(std::span<const HistoryEntry> entries, const HistoryHead& recorded_head);

// The actor's JSON (what a store keeps beside the entry) as the canonical
// bytes hold it: the object after `{"actor":`, up to the event time (a quote
// inside a string is escaped, so the first `},"event_time":"` ends the object).
std::string_view ActorText(std::string_view canonical_event);

}  // namespace netra
