#include "services/complaint/evidence.h"

#include <fcntl.h>
#include <google/protobuf/util/time_util.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/log.h"
#include "common/validation.h"
#include "services/complaint/complaint_proto.h"

namespace netra::complaint {
namespace {

namespace v1 = netra::v1;
constexpr size_t kSniffBytes = 4096;

bool StartsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

Error TooLong(const std::string& field, const std::string& what) {
  Violations v;
  v.Add(field, ViolationReason::kTooLong, what);
  return Error::Invalid(std::move(v));
}

bool SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::string DetectMediaType(std::string_view head) {
  using namespace std::string_view_literals;
  if (StartsWith(head, "\xFF\xD8\xFF"sv)) return "image/jpeg";
  if (StartsWith(head, "\x89PNG\r\n\x1A\n"sv)) return "image/png";
  if (StartsWith(head, "GIF87a") || StartsWith(head, "GIF89a")) return "image/gif";
  if (head.size() >= 12 && StartsWith(head, "RIFF") && head.substr(8, 4) == "WEBP") return "image/webp";
  if (StartsWith(head, "%PDF-")) return "application/pdf";
  if (head.size() >= 12 && head.substr(4, 4) == "ftyp") {
    return head.substr(8, 2) == "qt" ? "video/quicktime" : "video/mp4";
  }
  if (head.empty()) return "application/octet-stream";
  // Text: valid UTF-8 (a cut-off last character is fine) without control characters.
  std::string_view text = head;
  for (int cut = 0; cut < 4 && Utf8Length(text) < 0 && !text.empty(); ++cut) text.remove_suffix(1);
  if (text.empty() || Utf8Length(text) < 0) return "application/octet-stream";
  for (unsigned char c : text) {
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') return "application/octet-stream";
  }
  return "text/plain";
}

EvidenceStore::EvidenceStore(ComplaintStore& store, std::string dir, int64_t max_bytes)
    : store_(store), dir_(std::move(dir)), max_bytes_(max_bytes) {}

bool EvidenceStore::Prepare(std::string* error) {
  std::error_code ec;
  std::filesystem::create_directories(dir_ + "/tmp", ec);
  if (ec) {
    *error = "cannot create the evidence directory " + dir_ + ": " + ec.message();
    return false;
  }
  // Temp files of uploads cut short by a crash are garbage.
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/tmp", ec)) {
    std::filesystem::remove(entry.path(), ec);
  }
  return true;
}

std::string EvidenceStore::BlobPath(const std::string& id) const { return dir_ + "/" + id.substr(0, 2) + "/" + id; }

Result<std::unique_ptr<EvidenceUpload>> EvidenceStore::Begin(const v1::UploadEvidenceRequest& first) {
  Violations v;
  if (!first.request_id().empty()) CheckRequestId(first.request_id(), "request_id", v);
  CheckText(first.file_name(), "file_name", false, kMaxFileNameChars, v);
  CheckText(first.declared_media_type(), "declared_media_type", false, 255, v);
  if (first.total_size() < 0) v.Add("total_size", ViolationReason::kOutOfRange, "must not be negative");
  if (first.total_size() > max_bytes_) {
    v.Add("total_size", ViolationReason::kTooLong, "is over the limit of " + std::to_string(max_bytes_) + " bytes");
  }
  if (!first.expected_sha256().empty() && first.expected_sha256().size() != 32) {
    v.Add("expected_sha256", ViolationReason::kInvalidFormat, "must be 32 bytes");
  }
  if (!v.empty()) return Error::Invalid(std::move(v));
  std::string path = dir_ + "/tmp/upload-XXXXXX";
  int fd = ::mkstemp(path.data());
  if (fd < 0) return Error::Unavailable(std::string("cannot create an evidence file: ") + std::strerror(errno));
  return std::unique_ptr<EvidenceUpload>(
      new EvidenceUpload(*this, path, fd, first.file_name(), first.total_size(), first.expected_sha256()));
}

EvidenceUpload::EvidenceUpload(EvidenceStore& store, std::string temp_path, int fd, std::string file_name,
                               int64_t declared_size, std::string expected_sha256)
    : store_(store),
      temp_path_(std::move(temp_path)),
      fd_(fd),
      file_name_(std::move(file_name)),
      declared_size_(declared_size),
      expected_sha256_(std::move(expected_sha256)) {}

namespace {

// Content someone else uploaded first: its address, size and type (the same
// for this content), but this uploader's own file name and no upload time, so
// that whoever holds a file learns nothing of who sent it first or when.
void AnswerAlreadyStored(const Evidence& stored, const std::string& own_file_name, v1::UploadEvidenceResponse* out) {
  Evidence answered = stored;
  answered.file_name = own_file_name;
  ToProto(answered, out->mutable_evidence());
  out->mutable_evidence()->clear_upload_time();
  out->set_already_stored(true);
}

}  // namespace

EvidenceUpload::~EvidenceUpload() { Discard(); }

void EvidenceUpload::Discard() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!temp_path_.empty()) {
    ::unlink(temp_path_.c_str());
    temp_path_.clear();
  }
}

Result<bool> EvidenceUpload::Append(std::string_view chunk, int message_index) {
  if (static_cast<int64_t>(chunk.size()) > kMaxChunkBytes) {
    return TooLong("chunk", "message " + std::to_string(message_index) + " carries more than 4 MiB");
  }
  if (size_ + static_cast<int64_t>(chunk.size()) > store_.max_bytes_) {
    return TooLong("chunk", "the file is over the limit of " + std::to_string(store_.max_bytes_) + " bytes");
  }
  if (head_.size() < kSniffBytes) head_.append(chunk.substr(0, kSniffBytes - head_.size()));
  hash_.Update(chunk);
  for (size_t written = 0; written < chunk.size();) {
    ssize_t n = ::write(fd_, chunk.data() + written, chunk.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::Unavailable(std::string("cannot write evidence: ") + std::strerror(errno));
    written += static_cast<size_t>(n);
  }
  size_ += static_cast<int64_t>(chunk.size());
  return true;
}

Result<v1::UploadEvidenceResponse> EvidenceUpload::Finish(int64_t now_us) {
  const std::string sha = hash_.Finish();
  Violations v;
  if (declared_size_ > 0 && declared_size_ != size_) {
    v.Add("total_size", ViolationReason::kInconsistent,
          "declares " + std::to_string(declared_size_) + " bytes but " + std::to_string(size_) + " arrived");
  }
  if (!expected_sha256_.empty() && expected_sha256_ != sha) {
    v.Add("expected_sha256", ViolationReason::kInconsistent, "does not match the content received");
  }
  if (size_ == 0) v.Add("chunk", ViolationReason::kRequired, "the file is empty");
  if (!v.empty()) {
    Discard();
    return Error::Invalid(std::move(v));
  }
  const std::string id = HexOf(sha);
  const std::string final_path = store_.BlobPath(id);
  const std::string final_dir = final_path.substr(0, final_path.rfind('/'));
  v1::UploadEvidenceResponse response;
  if (auto existing = store_.store_.FindEvidence(id); existing && std::filesystem::exists(final_path)) {
    Discard();
    AnswerAlreadyStored(*existing, file_name_, &response);
    return response;
  }
  std::error_code ec;
  std::filesystem::create_directories(final_dir, ec);
  if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
    fd_ = -1;
    Discard();
    return Error::Unavailable("cannot write evidence to disk");
  }
  fd_ = -1;
  if (::rename(temp_path_.c_str(), final_path.c_str()) != 0 || !SyncDirectory(final_dir)) {
    Discard();
    return Error::Unavailable("cannot store evidence on disk");
  }
  temp_path_.clear();  // in place: nothing to clean up any more

  Evidence evidence{id, sha, size_, DetectMediaType(head_), file_name_, absl::FromUnixMicros(now_us)};
  // The row comes after the file: a row always has its file; a file without a
  // row (crash in between) is taken over by the next upload of that content.
  if (store_.store_.InsertEvidence(evidence)) {
    ToProto(evidence, response.mutable_evidence());
  } else {
    AnswerAlreadyStored(evidence, file_name_, &response);  // a concurrent upload of the same content won
  }
  return response;
}

}  // namespace netra::complaint
