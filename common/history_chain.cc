#include "common/history_chain.h"

#include <absl/time/time.h>
#include <cassert>
#include <nlohmann/json.hpp>

#include "common/digest.h"

namespace netra {
namespace {

std::string ChainHash(std::string_view prev_hash, std::string_view canonical_event) {
  return Sha256::Of({prev_hash, canonical_event});
}

std::string Rfc3339Micros(int64_t unix_us) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E6SZ", absl::FromUnixMicros(unix_us), absl::UTCTimeZone());
}

// Canonical dump: sorted keys (std::map), no whitespace, UTF-8 kept as is.
// Invalid UTF-8 cannot reach here: callers validate text first; replace keeps
// the dump total rather than throwing if one ever does.
std::string Dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

HistoryVerification Broken(HistoryVerification v, int64_t sequence, HistoryVerification::Break kind,
                           std::string description) {
  v.intact = false;
  v.first_broken_sequence = sequence;
  v.break_kind = kind;
  v.description = std::move(description);
  return v;
}

}  // namespace

namespace {
// The canonical bytes with the payload already dumped: what Dump of the whole
// event object gives (keys in sorted order, each string as Dump writes it),
// written directly, since a sweep or a busy intake chains many entries.
std::string CanonicalEventText(int64_t sequence, std::string_view event_type, const Actor& actor,
                               int64_t event_time_us, std::string_view payload_dump) {
  auto quoted = [](std::string_view text) { return Dump(nlohmann::json(text)); };
  std::string out;
  out.reserve(160 + payload_dump.size() + actor.id.size() + actor.display_name.size() + actor.organization.size());
  out += R"({"actor":{"display_name":)";
  out += quoted(actor.display_name);
  out += R"(,"id":)";
  out += quoted(actor.id);
  out += R"(,"kind":)";
  out += std::to_string(static_cast<int>(actor.kind));
  out += R"(,"organization":)";
  out += quoted(actor.organization);
  out += R"(},"event_time":")";
  out += Rfc3339Micros(event_time_us);
  out += R"(","event_type":)";
  out += quoted(event_type);
  out += R"(,"payload":)";
  out += payload_dump;
  out += R"(,"sequence":)";
  out += std::to_string(sequence);
  out += '}';
  return out;
}

}  // namespace

std::string_view ActorText(std::string_view canonical_event) {
  constexpr std::string_view kStart = R"({"actor":)", kEnd = R"(},"event_time":")";
  return canonical_event.substr(kStart.size(), canonical_event.find(kEnd) + 1 - kStart.size());
}

std::string CanonicalEvent(int64_t sequence, std::string_view event_type, const Actor& actor, int64_t event_time_us,
                           const nlohmann::json& payload) {
  return CanonicalEventText(sequence, event_type, actor, event_time_us, Dump(payload));
}

HistoryEntry ChainEntry(const HistoryHead& head, std::string event_type, Actor actor, int64_t event_time_us,
                        const nlohmann::json& payload) {
  assert(payload.is_object());
  assert(head.hash.size() == 32);
  HistoryEntry entry;
  entry.sequence = head.sequence + 1;
  entry.event_type = std::move(event_type);
  entry.actor = std::move(actor);
  entry.event_time_us = event_time_us;
  entry.payload_json = Dump(payload);
  entry.prev_hash = head.hash;
  entry.canonical_event =
      CanonicalEventText(entry.sequence, entry.event_type, entry.actor, event_time_us, entry.payload_json);
  entry.hash = ChainHash(entry.prev_hash, entry.canonical_event);
  return entry;
}

HistoryVerification VerifyHistory(std::span<const HistoryEntry> entries, const HistoryHead& recorded_head) {
  using Break = HistoryVerification::Break;
  HistoryVerification v;
  v.head_hash = std::string(32, '\0');
  std::string previous_hash(32, '\0');
  for (const HistoryEntry& e : entries) {
    const int64_t expected = v.entries_checked + 1;
    if (e.sequence != expected) {
      return Broken(std::move(v), expected, Break::kSequenceGap,
                    "expected entry " + std::to_string(expected) + ", found " + std::to_string(e.sequence));
    }
    auto payload = nlohmann::json::parse(e.payload_json, nullptr, /*allow_exceptions=*/false);
    if (!payload.is_object() ||
        CanonicalEvent(e.sequence, e.event_type, e.actor, e.event_time_us, payload) != e.canonical_event) {
      return Broken(std::move(v), e.sequence, Break::kContentMismatch,
                    "entry " + std::to_string(e.sequence) + ": recorded fields differ from the hashed event");
    }
    if (ChainHash(e.prev_hash, e.canonical_event) != e.hash) {
      return Broken(std::move(v), e.sequence, Break::kHashMismatch,
                    "entry " + std::to_string(e.sequence) + ": hash does not match its content");
    }
    if (e.prev_hash != previous_hash) {
      return Broken(std::move(v), e.sequence, Break::kPrevHashMismatch,
                    "entry " + std::to_string(e.sequence) + ": does not link to entry " + std::to_string(e.sequence - 1));
    }
    previous_hash = e.hash;
    v.head_hash = e.hash;
    ++v.entries_checked;
  }
  if (v.entries_checked != recorded_head.sequence || v.head_hash != recorded_head.hash) {
    const int64_t at = std::min(v.entries_checked, recorded_head.sequence) + 1;
    return Broken(std::move(v), at, Break::kHeadMismatch,
                  "the record's head is entry " + std::to_string(recorded_head.sequence) + " but the chain ends at entry " +
                      std::to_string(v.entries_checked));
  }
  return v;
}

}  // namespace netra
