// The stored record of a complaint (complaint_record.h): everything a
// complaint holds comes back from its record, a recorded answer gives the
// status and cluster it answered with, and bytes this code did not write are
// a corrupt store, never a half-read complaint.
#include "services/complaint/complaint_record.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "common/store_error.h"

namespace netra::complaint {
namespace {

EmployeeRef Employee(const std::string& id) {
  return EmployeeRef{id, 2, "Siti Aminah", "A01", "Dinas Pendidikan", "SMPN 3", "Guru", "33.74",
                     {"bupati:33.74", "Wali Kota Semarang", "33.74"}, 7};
}

Deadline DeadlineOn(int day, int days) {
  return Deadline{absl::CivilDay(2024, 2, day), absl::FromUnixSeconds(1707800000 + day), "Asia/Jakarta",
                  DeadlineRule{days, DayCounting::kWorkingDays}};
}

// Every field set to something other than its default.
Complaint FullComplaint() {
  Complaint c;
  c.complaint_id = "cmp-1";
  c.tracking_code = "NTR-ABCD-EFGH";
  c.status = Status::kForwarded;
  c.channel = IntakeChannel::kBawasluOffice;
  c.reporter = {ReporterKind::kMonitor, "Budi", "Jl. Pemuda 1", "0812", "KIPP", "", std::string(32, 'h'), true, true,
                false};
  c.subject = {"198503142010011001", "Siti Aminah", "Dinas Pendidikan", "33.74", "Guru"};
  c.subject_resolution = {ResolutionStatus::kResolvedByName, Employee("e-1"),
                          {{Employee("e-2"), 0.5, {SubjectMatch::kFullName, SubjectMatch::kAgency}},
                           {Employee("e-3"), 0.25, {SubjectMatch::kPartialName}}}, true,
                          absl::FromUnixMicros(1707800000123456)};
  c.act = {"pemilu-2024", {"K1", "K2"}, absl::FromUnixMicros(1707700000000001),
           absl::FromUnixMicros(1707710000000002), "33.74.01", "Balai desa", "Kampanye", {"https://a.example/1"}};
  c.evidence = {{"ab12", std::string("\x00\xff\x10", 3), 1234, "image/jpeg", "foto.jpg",
                 absl::FromUnixMicros(1707720000000003)}};
  c.missing_requirements = {Requirement::kPlace, Requirement::kEvidence};
  c.late = true;
  c.deadlines = {DeadlineOn(14, 7), DeadlineOn(15, 3), DeadlineOn(16, 2), DeadlineOn(17, 14), true};
  c.cluster = {"cmp-0", "cmp-0", 3, false};
  c.forwarding = {ForwardingStatus::kRefused, "case-9", {"K1"}, "Terbukti", "001/PM/2024",
                  absl::FromUnixMicros(1707730000000004), absl::FromUnixMicros(1707740000000005),
                  absl::FromUnixMicros(1707750000000006), 4, "refused: no such PPK"};
  c.outcome = Outcome{"case-9", 1, 3, {2, 5}, "800/12/2024", Date{2024, 3, 1}, "bupati:33.74", 6,
                      absl::FromUnixMicros(1707760000000007)};
  c.status_reason = "diteruskan";
  c.version = 12;
  c.received_time = absl::FromUnixMicros(1707700000000008);
  c.update_time = absl::FromUnixMicros(1707770000000009);
  c.history_head_sequence = 11;
  c.receipt = {"0123456789abcdef", std::string(16, 's'), std::string(32, 'r')};
  return c;
}

// The complaint as an answer holds it: no reporter identity.
Complaint WithoutIdentity(Complaint c) {
  c.reporter.name = c.reporter.address = c.reporter.contact = c.reporter.organization = c.reporter.nik_hash = "";
  return c;
}

const SealedBox& Box() {
  static const SealedBox box({std::string(32, 'r')});
  return box;
}

TEST(ComplaintRecordTest, EveryFieldComesBack) {
  const Complaint full = FullComplaint();
  EXPECT_TRUE(DecodeComplaint(EncodeComplaint(full) + SealedIdentity(full, Box()), &Box()) == full);
}

// The identity is only ever stored sealed, bound to its complaint and key.
TEST(ComplaintRecordTest, TheReporterIdentityIsStoredSealedOnly) {
  const Complaint full = FullComplaint();
  const std::string open = EncodeComplaint(full), sealed = SealedIdentity(full, Box());
  for (const std::string& text : {full.reporter.name, full.reporter.address, full.reporter.organization,
                                  full.reporter.nik_hash}) {
    EXPECT_EQ(open.find(text), std::string::npos) << text;
    EXPECT_EQ(sealed.find(text), std::string::npos) << text;
  }
  EXPECT_TRUE(DecodeComplaint(open, &Box()) == WithoutIdentity(full));
  EXPECT_TRUE(DecodeComplaint(open + sealed) == WithoutIdentity(full)) << "without a box it stays sealed";

  Complaint other = full;
  other.complaint_id = "cmp-9";
  const std::string moved = EncodeComplaint(other) + sealed;  // sealed for cmp-1
  EXPECT_THROW(DecodeComplaint(moved, &Box()), StoreError);
  const SealedBox another({std::string(32, 'x')});
  try {
    DecodeComplaint(open + sealed, &another);
    ADD_FAILURE() << "opened under another key";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.code(), SQLITE_CORRUPT);
    EXPECT_NE(std::string(e.what()).find(SealedBox::KeyIdOf(std::string(32, 'r'))), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not configured"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("Budi"), std::string::npos) << e.what();
  }
  std::string tampered = sealed;
  tampered[tampered.size() - 1] ^= 1;  // the tag's last byte
  EXPECT_THROW(DecodeComplaint(open + tampered, &Box()), StoreError);
}

TEST(ComplaintRecordTest, AbsentOptionalsStayAbsent) {
  Complaint bare;
  bare.complaint_id = "cmp-2";
  const Complaint read = DecodeComplaint(EncodeComplaint(bare));
  EXPECT_TRUE(read == bare);
  EXPECT_FALSE(read.outcome.has_value());
  EXPECT_FALSE(read.act.occurred_time.has_value());
  EXPECT_FALSE(read.deadlines.report.has_value());
}

TEST(ComplaintRecordTest, AnswerCarriesTheStatusAndClusterItGave) {
  Complaint stored = FullComplaint();
  stored.cluster = ClusterInfo{};  // a row's body leaves the cluster to its columns
  const ClusterInfo joined{"cmp-0", "cmp-0", 4, false};
  const RecordedAnswer answer = DecodeAnswer(EncodeAnswer(EncodeComplaint(stored), Status::kUnderReview, joined, true));
  EXPECT_TRUE(answer.joined_existing_cluster);
  EXPECT_EQ(answer.complaint.status, Status::kUnderReview);
  EXPECT_EQ(answer.complaint.cluster, joined);
  EXPECT_EQ(answer.complaint.evidence, stored.evidence);

  // An answer (recorded, cached in Redis) never holds the reporter's identity.
  const Complaint full = FullComplaint();
  const std::string encoded = EncodeAnswer(RecordedAnswer{full, false});
  EXPECT_TRUE(DecodeAnswer(encoded).complaint == WithoutIdentity(full));
  EXPECT_EQ(encoded.find("Jl. Pemuda"), std::string::npos);
}

TEST(ComplaintRecordTest, ForeignBytesAreACorruptStore) {
  const std::string not_ours[] = {"{\"id\":\"cmp-1\"}", std::string("\x0a\xff\xff\xff\xff\x0f", 6),
                                  std::string("\x62\x05\x0a\x03\x32\x30\x32", 7)};  // a deadline day cut short
  for (const std::string& bytes : not_ours) {
    SCOPED_TRACE(bytes);
    try {
      DecodeComplaint(bytes);
      ADD_FAILURE() << "decoded";
    } catch (const StoreError& e) {
      EXPECT_EQ(e.code(), SQLITE_CORRUPT) << e.what();
    }
    EXPECT_THROW(DecodeAnswer(bytes), StoreError);
  }
}

}  // namespace
}  // namespace netra::complaint
