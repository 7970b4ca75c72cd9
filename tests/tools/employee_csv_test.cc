// Tests for the operator's CSV handling (tools/netractl/csv.*, employee_csv.*,
// nik_hash.*): what `netractl import employees` and `netractl hash-niks` send
// is decided here, before any call.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "common/nik.h"
#include "tools/netractl/csv.h"
#include "tools/netractl/employee_csv.h"
#include "tools/netractl/nik_hash.h"

namespace netra::tools {
namespace {

using Record = std::vector<std::string>;

struct ReadAll {
  std::vector<Record> records;
  std::string error;
  int64_t error_record = 0;
};

ReadAll Read(const std::string& text) {
  std::istringstream in(text);
  CsvReader reader(in);
  ReadAll out;
  Record record;
  while (reader.Next(&record)) out.records.push_back(record);
  out.error = reader.error();
  if (!out.error.empty()) out.error_record = reader.record_number();
  return out;
}

// ---- CsvReader: RFC 4180 -----------------------------------------------------

TEST(CsvReaderTest, ReadsQuotedFieldsWithCommasLineBreaksAndDoubledQuotes) {
  auto result = Read("a,b,c\r\n\"x, y\",\"line 1\nline 2\",\"say \"\"hi\"\"\"\r\nplain,,last\n");
  ASSERT_EQ(result.error, "");
  ASSERT_EQ(result.records.size(), 3u);
  EXPECT_EQ(result.records[1], (Record{"x, y", "line 1\nline 2", "say \"hi\""}));
  EXPECT_EQ(result.records[2], (Record{"plain", "", "last"}));
}

TEST(CsvReaderTest, SkipsALeadingUtf8BomAndKeepsDiacritics) {
  auto result = Read("\xEF\xBB\xBFname,x\nDédé Rohayati,Nur'aini\n");
  ASSERT_EQ(result.error, "");
  ASSERT_EQ(result.records.size(), 2u);
  EXPECT_EQ(result.records[0][0], "name");  // not "\xEF\xBB\xBFname": the header still matches
  EXPECT_EQ(result.records[1], (Record{"Dédé Rohayati", "Nur'aini"}));
}

TEST(CsvReaderTest, LastRecordWithoutLineBreakAndBlankLinesAreHandled) {
  auto result = Read("a\n\n1\n\n2");
  ASSERT_EQ(result.error, "");
  EXPECT_EQ(result.records, (std::vector<Record>{{"a"}, {"1"}, {"2"}}));
}

TEST(CsvReaderTest, StrayQuoteIsAnErrorAtItsRecordAfterTheGoodRecords) {
  auto result = Read("a,b\n1,2\n3,x\"y\n5,6\n");
  EXPECT_EQ(result.records.size(), 2u);  // header and the first data record
  EXPECT_NE(result.error, "");
  EXPECT_EQ(result.error_record, 3);
}

TEST(CsvReaderTest, TextAfterAClosingQuoteIsAnError) {
  auto result = Read("a,b\n\"1\"x,2\n");
  EXPECT_NE(result.error, "");
  EXPECT_EQ(result.error_record, 2);
}

TEST(CsvReaderTest, UnterminatedQuoteAtTheEndIsAnError) {
  auto result = Read("a,b\n1,2\n3,\"never closed\n4,5\n");
  EXPECT_EQ(result.records.size(), 2u);
  EXPECT_NE(result.error, "");
  EXPECT_EQ(result.error_record, 3);
}

TEST(CsvReaderTest, QuotedFieldAcrossChunkBoundariesIsReadWhole) {
  std::string text = "a,b\n";
  std::string long_field(200000, 'x');
  long_field[100000] = ',';
  long_field[150000] = '\n';
  for (int i = 0; i < 3; ++i) text += "\"" + long_field + "\"," + std::to_string(i) + "\r\n";
  auto result = Read(text);
  ASSERT_EQ(result.error, "");
  ASSERT_EQ(result.records.size(), 4u);
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(result.records[static_cast<size_t>(i)], (Record{long_field, std::to_string(i - 1)}));
}

TEST(CsvReaderTest, AFieldOverOneMebibyteStopsTheReaderInsteadOfSwallowingTheFile) {
  std::string text = "a\n\"" + std::string(3 << 20, 'x') + "\"\n";
  auto result = Read(text);
  EXPECT_NE(result.error, "");
  EXPECT_EQ(result.error_record, 2);
}

TEST(CsvWriterTest, QuotedFieldsReadBackUnchanged) {
  Record fields = {"plain", "with, comma", "with \"quotes\"", "two\r\nlines", " padded ", "", "Ni'mah Dédé"};
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line.push_back(',');
    AppendCsvField(line, fields[i]);
  }
  auto result = Read(line + "\r\n");
  ASSERT_EQ(result.error, "");
  ASSERT_EQ(result.records.size(), 1u);
  EXPECT_EQ(result.records[0], fields);
}

TEST(Utf8Test, AcceptsValidAndRejectsMalformedSequences) {
  EXPECT_TRUE(IsValidUtf8("Dédé Ñoño 漢字 😀"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("caf\xE9"));           // Latin-1
}

// ---- header ------------------------------------------------------------------

TEST(EmployeeCsvHeaderTest, AcceptsAnyColumnOrder) {
  std::string error;
  auto header = EmployeeCsvHeader::Parse({"work_region_code", "name", "nip", "agency_name", "birth_date", "gender",
                                          "agency_code", "employee_type"},
                                         &error);
  ASSERT_TRUE(header) << error;
  EXPECT_EQ(header->index(EmployeeColumn::kNip), 2);
  EXPECT_EQ(header->index(EmployeeColumn::kEmployeeType), 7);
  EXPECT_EQ(header->index(EmployeeColumn::kNik), -1);
}

TEST(EmployeeCsvHeaderTest, MissingRequiredColumnsAreNamed) {
  std::string error;
  EXPECT_FALSE(EmployeeCsvHeader::Parse({"employee_type", "nip", "name", "gender", "agency_code", "agency_name"}, &error));
  EXPECT_NE(error.find("\"birth_date\""), std::string::npos) << error;
  EXPECT_NE(error.find("\"work_region_code\""), std::string::npos) << error;
}

TEST(EmployeeCsvHeaderTest, AtLeastOneIdentifierColumnIsRequired) {
  std::string error;
  EXPECT_FALSE(EmployeeCsvHeader::Parse({"employee_type", "name", "gender", "birth_date", "agency_code",
                                         "agency_name", "work_region_code"},
                                        &error));
  EXPECT_NE(error.find("nip, ni_pppk or agency_staff_id"), std::string::npos) << error;
}

TEST(EmployeeCsvHeaderTest, UnknownAndDuplicateColumnsAreRefused) {
  std::vector<std::string> base = {"employee_type", "nip", "name", "gender", "birth_date", "agency_code",
                                   "agency_name", "work_region_code"};
  std::string error;
  auto typo = base;
  typo.push_back("birthdate");
  EXPECT_FALSE(EmployeeCsvHeader::Parse(typo, &error));
  EXPECT_NE(error.find("unknown column(s) \"birthdate\""), std::string::npos) << error;
  auto twice = base;
  twice.push_back("name");
  EXPECT_FALSE(EmployeeCsvHeader::Parse(twice, &error));
  EXPECT_NE(error.find("duplicate column(s) \"name\""), std::string::npos) << error;
}

// ---- record -> row -----------------------------------------------------------

class ConvertTest : public ::testing::Test {
 protected:
  ConvertTest() {
    std::string error;
    std::vector<std::string> names(kEmployeeColumnNames.begin(), kEmployeeColumnNames.end());
    header_ = *EmployeeCsvHeader::Parse(names, &error);
  }
  // A valid PNS record in canonical column order, with overrides.
  Record Pns() const {
    return {"PNS", "198702132013051010", "", "", "3302015302870001", "Siti Nur'aini, S.Pd.", "F", "1987-02-13",
            "pemkab-33.02", "Pemerintah Kabupaten Banyumas", "33.02-disdik", "Dinas Pendidikan dan Kebudayaan",
            "Guru Ahli Muda", "III/c", "33.02", "ACTIVE", "bupati:33.02", "Bupati Banyumas", "33.02"};
  }
  static Record With(Record record, EmployeeColumn column, std::string value) {
    record[static_cast<size_t>(column)] = std::move(value);
    return record;
  }
  static std::vector<std::string> Fields(const Error& error) {
    std::vector<std::string> out;
    for (const auto& v : error.violations.list()) out.push_back(v.field);
    return out;
  }
  EmployeeCsvHeader header_;
};

TEST_F(ConvertTest, PnsRecordFillsEveryField) {
  auto row = ConvertEmployeeRecord(header_, Pns(), 7);
  ASSERT_TRUE(row.ok());
  const auto& r = row.value();
  EXPECT_EQ(r.row_number(), 7);
  EXPECT_EQ(r.nik(), "3302015302870001");
  const auto& e = r.employee();
  EXPECT_EQ(e.employee_type(), v1::EMPLOYEE_TYPE_PNS);
  EXPECT_EQ(e.identifier_case(), v1::Employee::kNip);
  EXPECT_EQ(e.nip(), "198702132013051010");
  EXPECT_EQ(e.name(), "Siti Nur'aini, S.Pd.");
  EXPECT_EQ(e.gender(), v1::GENDER_FEMALE);
  EXPECT_EQ(e.birth_date().year(), 1987);
  EXPECT_EQ(e.birth_date().month(), 2);
  EXPECT_EQ(e.birth_date().day(), 13);
  EXPECT_EQ(e.agency_code(), "pemkab-33.02");
  EXPECT_EQ(e.agency_name(), "Pemerintah Kabupaten Banyumas");
  EXPECT_EQ(e.unit_code(), "33.02-disdik");
  EXPECT_EQ(e.unit_name(), "Dinas Pendidikan dan Kebudayaan");
  EXPECT_EQ(e.position(), "Guru Ahli Muda");
  EXPECT_EQ(e.rank(), "III/c");
  EXPECT_EQ(e.work_region_code(), "33.02");
  EXPECT_EQ(e.employment_status(), v1::EMPLOYMENT_STATUS_ACTIVE);
  EXPECT_EQ(e.ppk().code(), "bupati:33.02");
  EXPECT_EQ(e.ppk().name(), "Bupati Banyumas");
  EXPECT_EQ(e.ppk().region_code(), "33.02");
}

TEST_F(ConvertTest, PppkAndPpnpnUseTheirOwnIdentifier) {
  auto pppk = Pns();
  pppk = With(With(With(pppk, EmployeeColumn::kEmployeeType, "pppk"), EmployeeColumn::kNip, ""),
              EmployeeColumn::kNiPppk, "198702132023012001");
  pppk = With(pppk, EmployeeColumn::kRank, "");
  auto row = ConvertEmployeeRecord(header_, pppk, 1);
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row.value().employee().employee_type(), v1::EMPLOYEE_TYPE_PPPK);
  EXPECT_EQ(row.value().employee().ni_pppk(), "198702132023012001");

  auto ppnpn = With(With(With(pppk, EmployeeColumn::kEmployeeType, "PPNPN"), EmployeeColumn::kNiPppk, ""),
                    EmployeeColumn::kAgencyStaffId, "PPNPN-000042");
  row = ConvertEmployeeRecord(header_, ppnpn, 2);
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row.value().employee().identifier_case(), v1::Employee::kAgencyStaffId);
  EXPECT_EQ(row.value().employee().agency_staff_id(), "PPNPN-000042");
}

TEST_F(ConvertTest, EmptyIdentifierIsLeftToTheServerToReportAsRequired) {
  auto row = ConvertEmployeeRecord(header_, With(Pns(), EmployeeColumn::kNip, ""), 1);
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row.value().employee().identifier_case(), v1::Employee::kNip);
  EXPECT_EQ(row.value().employee().nip(), "");
}

TEST_F(ConvertTest, IndonesianGenderLettersAndEmptyOptionalColumnsAreAccepted) {
  auto record = With(With(Pns(), EmployeeColumn::kGender, "l"), EmployeeColumn::kEmploymentStatus, "");
  for (auto column : {EmployeeColumn::kNik, EmployeeColumn::kUnitCode, EmployeeColumn::kPpkCode,
                      EmployeeColumn::kPpkName, EmployeeColumn::kPpkRegionCode}) {
    record = With(record, column, "");
  }
  auto row = ConvertEmployeeRecord(header_, record, 1);
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row.value().employee().gender(), v1::GENDER_MALE);
  EXPECT_EQ(row.value().employee().employment_status(), v1::EMPLOYMENT_STATUS_UNSPECIFIED);
  EXPECT_FALSE(row.value().employee().has_ppk());
  EXPECT_EQ(row.value().nik(), "");
  EXPECT_EQ(ConvertEmployeeRecord(header_, With(Pns(), EmployeeColumn::kGender, "P"), 1).value().employee().gender(),
            v1::GENDER_FEMALE);
  EXPECT_EQ(ConvertEmployeeRecord(header_, With(Pns(), EmployeeColumn::kEmploymentStatus, "unpaid_leave"), 1)
                .value().employee().employment_status(),
            v1::EMPLOYMENT_STATUS_UNPAID_LEAVE);
}

TEST_F(ConvertTest, EveryProblemOfARecordIsReportedByColumn) {
  auto record = Pns();
  record = With(record, EmployeeColumn::kEmployeeType, "ASN");
  record = With(record, EmployeeColumn::kGender, "X");
  record = With(record, EmployeeColumn::kBirthDate, "13/02/1987");
  record = With(record, EmployeeColumn::kEmploymentStatus, "PENSIUN");
  auto row = ConvertEmployeeRecord(header_, record, 5);
  ASSERT_FALSE(row.ok());
  EXPECT_EQ(row.error().kind, Error::Kind::kInvalidArgument);
  EXPECT_EQ(Fields(row.error()),
            (std::vector<std::string>{"employee_type", "gender", "birth_date", "employment_status"}));
}

TEST_F(ConvertTest, MissingRequiredValuesAreRequired) {
  auto record = With(With(With(Pns(), EmployeeColumn::kEmployeeType, ""), EmployeeColumn::kGender, ""),
                     EmployeeColumn::kBirthDate, "");
  auto row = ConvertEmployeeRecord(header_, record, 5);
  ASSERT_FALSE(row.ok());
  for (const auto& v : row.error().violations.list()) EXPECT_EQ(v.reason, ViolationReason::kRequired) << v.field;
  EXPECT_EQ(row.error().violations.size(), 3u);
}

TEST_F(ConvertTest, AnIdentifierOfAnotherTypeIsInconsistent) {
  auto row = ConvertEmployeeRecord(header_, With(Pns(), EmployeeColumn::kAgencyStaffId, "X-1"), 1);
  ASSERT_FALSE(row.ok());
  ASSERT_EQ(row.error().violations.size(), 1u);
  EXPECT_EQ(row.error().violations.list()[0].field, "agency_staff_id");
  EXPECT_EQ(row.error().violations.list()[0].reason, ViolationReason::kInconsistent);
}

TEST_F(ConvertTest, WrongFieldCountIsARecordError) {
  auto record = Pns();
  record.pop_back();
  auto row = ConvertEmployeeRecord(header_, record, 9);
  ASSERT_FALSE(row.ok());
  ASSERT_EQ(row.error().violations.size(), 1u);
  EXPECT_EQ(row.error().violations.list()[0].field, "");
  EXPECT_NE(row.error().violations.list()[0].description.find("18 fields, the header has 19"), std::string::npos);
}

TEST_F(ConvertTest, InvalidUtf8AndOversizeFieldsAreCaughtBeforeSending) {
  auto row = ConvertEmployeeRecord(
      header_, With(With(Pns(), EmployeeColumn::kName, "Jos\xE9"), EmployeeColumn::kPosition, std::string(5000, 'x')), 1);
  ASSERT_FALSE(row.ok());
  EXPECT_EQ(Fields(row.error()), (std::vector<std::string>{"name", "position"}));
  EXPECT_EQ(row.error().violations.list()[0].reason, ViolationReason::kInvalidFormat);
  EXPECT_EQ(row.error().violations.list()[1].reason, ViolationReason::kTooLong);
}

TEST_F(ConvertTest, ProblemsNeverEchoTheNik) {
  auto record = With(With(Pns(), EmployeeColumn::kGender, "?"), EmployeeColumn::kEmployeeType, "?");
  auto row = ConvertEmployeeRecord(header_, record, 1);
  ASSERT_FALSE(row.ok());
  for (const auto& v : row.error().violations.list()) EXPECT_EQ(v.description.find("3302015302870001"), std::string::npos);
}

TEST_F(ConvertTest, RowErrorCarriesTheRowNumberAndProtoReasons) {
  Violations violations;
  violations.Add("gender", ViolationReason::kInvalidFormat, "must be M or F");
  violations.Add("", ViolationReason::kInconsistent, "x");
  auto error = ToRowError(12, violations);
  EXPECT_EQ(error.row_number(), 12);
  ASSERT_EQ(error.violations_size(), 2);
  EXPECT_EQ(error.violations(0).reason(), v1::FieldViolation::REASON_INVALID_FORMAT);
  EXPECT_EQ(error.violations(1).reason(), v1::FieldViolation::REASON_INCONSISTENT);
}

// ---- hash-niks -----------------------------------------------------------------

class HashNiksTest : public ::testing::Test {
 protected:
  NikHasher hasher_{std::string(32, 'k')};
  static constexpr const char* kNik = "3302015302870001";
};

TEST_F(HashNiksTest, OneNikPerLineGivesOneHexHmacPerLine) {
  std::istringstream in(std::string(kNik) + "\r\n\n 3374011708900002 \n");
  std::ostringstream out, problems;
  auto result = HashNiks(in, out, problems, hasher_);
  EXPECT_EQ(result.hashed, 2);
  EXPECT_EQ(result.invalid, 0);
  EXPECT_EQ(out.str(), NikHmacHex(hasher_, kNik) + "\n" + NikHmacHex(hasher_, "3374011708900002") + "\n");
  EXPECT_EQ(NikHmacHex(hasher_, kNik).size(), 64u);
  EXPECT_NE(NikHmacHex(hasher_, kNik), NikHmacHex(NikHasher(std::string(32, 'j')), kNik));
}

TEST_F(HashNiksTest, InvalidNiksAreSkippedAndReportedByLineWithoutTheNik) {
  std::istringstream in(std::string(kNik) + "\n3302019902870001\n12345\n");
  std::ostringstream out, problems;
  auto result = HashNiks(in, out, problems, hasher_);
  EXPECT_EQ(result.hashed, 1);
  EXPECT_EQ(result.invalid, 2);
  EXPECT_EQ(problems.str(), "line 2: not a valid NIK\nline 3: not a valid NIK\n");
}

TEST_F(HashNiksTest, CsvWithANikColumnKeepsTheOtherColumns) {
  std::istringstream in("\xEF\xBB\xBFparty_code,nik,region_code\r\nPDX,\"" + std::string(kNik) +
                        "\",33.02\r\n\"P, Y\",bad,33\r\n");
  std::ostringstream out, problems;
  auto result = HashNiks(in, out, problems, hasher_);
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.hashed, 1);
  EXPECT_EQ(result.invalid, 1);
  EXPECT_EQ(out.str(), "party_code,nik_hmac,region_code\r\nPDX," + NikHmacHex(hasher_, kNik) + ",33.02\r\n");
  EXPECT_EQ(problems.str(), "record 3: not a valid NIK\n");
  EXPECT_EQ(out.str().find(kNik), std::string::npos);
}

}  // namespace
}  // namespace netra::tools
