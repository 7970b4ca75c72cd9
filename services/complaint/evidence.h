// Evidence files: content-addressed by SHA-256 under a configured directory.
// An upload is written to a temp file, checked (size, expected hash), fsynced
// and renamed into place, then the directory is fsynced; anything that goes
// wrong before that removes the temp file, so a truncated or corrupt stream
// leaves nothing. The same content is stored once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/digest.h"
#include "common/result.h"
#include "netra/v1/complaint.pb.h"
#include "services/complaint/complaint_store.h"

namespace netra::complaint {

inline constexpr int64_t kMaxChunkBytes = 4 << 20;  // per UploadEvidence message
inline constexpr int kMaxFileNameChars = 255;

// "image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf",
// "video/mp4", "video/quicktime", "text/plain", else "application/octet-stream",
// from the first bytes of the content (magic numbers).
std::string DetectMediaType(std::string_view head);

class EvidenceStore;

// One upload in progress. Destroying it before Finish removes what was written.
class EvidenceUpload {
 public:
  ~EvidenceUpload();
  EvidenceUpload(const EvidenceUpload&) = delete;
  EvidenceUpload& operator=(const EvidenceUpload&) = delete;

  // Appends a chunk; INVALID_ARGUMENT (chunk or whole file too large).
  Result<bool> Append(std::string_view chunk, int message_index);
  // Checks the declared size and hash, then stores the file and its row.
  Result<netra::v1::UploadEvidenceResponse> Finish(int64_t now_us);

 private:
  friend class EvidenceStore;
  EvidenceUpload(EvidenceStore& store, std::string temp_path, int fd, std::string file_name, int64_t declared_size,
                 std::string expected_sha256);
  void Discard();

  EvidenceStore& store_;
  std::string temp_path_;
  int fd_;
  std::string file_name_;
  int64_t declared_size_;
  std::string expected_sha256_;
  int64_t size_ = 0;
  std::string head_;  // first bytes, for media type detection
  Sha256 hash_;
};

class EvidenceStore {
 public:
  // `dir` is created if missing; blobs live in dir/<2 hex>/<64 hex>, temp files in dir/tmp.
  EvidenceStore(ComplaintStore& store, std::string dir, int64_t max_bytes);
  // Creates the directories; false with *error when it cannot.
  bool Prepare(std::string* error);

  // Validates the first message's metadata and opens a temp file.
  Result<std::unique_ptr<EvidenceUpload>> Begin(const netra::v1::UploadEvidenceRequest& first);

  int64_t max_bytes() const { return max_bytes_; }
  std::string BlobPath(const std::string& evidence_id) const;

 private:
  friend class EvidenceUpload;
  ComplaintStore& store_;
  std::string dir_;
  int64_t max_bytes_;
};

}  // namespace netra::complaint
