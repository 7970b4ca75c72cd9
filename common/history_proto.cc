// History's proto conversions, for the handlers (history.h declares them).
#include "common/history.h"
#include "netra/v1/types.pb.h"

namespace netra {

namespace {
void SetTimestamp(int64_t unix_us, google::protobuf::Timestamp* out) {
  out->set_seconds(unix_us / 1000000);
  out->set_nanos(static_cast<int32_t>(unix_us % 1000000) * 1000);
}
}  // namespace

void ToProto(const Actor& actor, v1::Actor* out) {
  out->set_id(actor.id);
  out->set_kind(static_cast<v1::ActorKind>(actor.kind));
  out->set_display_name(actor.display_name);
  out->set_organization(actor.organization);
}

void ToProto(const HistoryEntry& entry, v1::HistoryEntry* out) {
  out->set_sequence(entry.sequence);
  out->set_event_type(entry.event_type);
  ToProto(entry.actor, out->mutable_actor());
  SetTimestamp(entry.event_time_us, out->mutable_event_time());
  out->set_payload_json(entry.payload_json);
  out->set_prev_hash(entry.prev_hash);
  out->set_hash(entry.hash);
  out->set_canonical_event(entry.canonical_event);
}

void ToProto(const HistoryVerification& verification, int64_t verify_time_us, v1::HistoryVerification* out) {
  out->set_intact(verification.intact);
  out->set_entries_checked(verification.entries_checked);
  out->set_first_broken_sequence(verification.first_broken_sequence);
  out->set_break_kind(static_cast<v1::ChainBreak>(verification.break_kind));
  out->set_description(verification.description);
  out->set_head_hash(verification.head_hash);
  SetTimestamp(verify_time_us, out->mutable_verify_time());
}
}  // namespace netra
