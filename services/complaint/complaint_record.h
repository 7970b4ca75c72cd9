// The stored form of a complaint: our own record (netra.storage.v1, in
// proto/netra/storage/v1/complaint_record.proto), not the API message, so the
// API can change without touching stored rows and the rows can move to
// another store as they are.
#pragma once

#include <string>
#include <string_view>

#include "common/sealed_box.h"
#include "services/complaint/complaint.h"

namespace netra::complaint {

// The complaint without its reporter's identity (kind, hidden, NIK on file
// only): what a recorded answer holds, and a stored row's body before its
// SealedIdentity.
std::string EncodeComplaint(const Complaint& complaint);
// The reporter's identity (name, address, contact, organization, NIK hash)
// sealed under `box` with the complaint id as associated data, as record
// bytes that complete EncodeComplaint's (protobuf merges the two): a stored
// row's body is EncodeComplaint(c) + SealedIdentity(c, box).
std::string SealedIdentity(const Complaint& complaint, const SealedBox& box);
// Throws StoreError (SQLITE_CORRUPT) on a record this code did not write,
// and on a sealed identity `box` cannot open (its key is not configured, or
// the value was altered or moved). Without a box the identity stays empty.
Complaint DecodeComplaint(std::string_view record, const SealedBox* box = nullptr);

// An idempotency record's response: the complaint as first answered, and
// (SubmitComplaint) whether it joined an existing cluster.
struct RecordedAnswer {
  Complaint complaint;
  bool joined_existing_cluster = false;
};
std::string EncodeAnswer(const RecordedAnswer& answer);
// The same around a complaint already encoded (EncodeComplaint's bytes) with
// the status and cluster that replace the encoded ones, so that a submission
// encodes its complaint once, for the stored row and the recorded answer.
std::string EncodeAnswer(std::string_view encoded_complaint, Status status, const ClusterInfo& cluster, bool joined);
RecordedAnswer DecodeAnswer(std::string_view bytes);

}  // namespace netra::complaint
