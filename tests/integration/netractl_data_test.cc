// End-to-end tests of the operator's data tools against a real registry
// (real Redis, real SQLite): `netractl import employees` with files from
// netra-gen-employees and hand-written ones, `netractl elections`, and
// `netractl hash-niks` agreeing with the registry's key.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "netra/v1/registry.grpc.pb.h"
#include "tests/integration/netra_stack.h"

namespace netra::testing {
namespace {

using namespace std::chrono_literals;

struct ToolRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

class NetractlDataTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(stack_.Start(Service::kRegistry)); }

  ToolRun Tool(const std::string& binary, std::vector<std::string> args) {
    std::string log = stack_.dir().File("tool-" + std::to_string(++runs_) + ".log");
    args.insert(args.begin(), std::string(NETRA_BINARY_DIR) + "/" + binary);
    Subprocess process(args, log);
    ToolRun run;
    auto status = process.Wait(120s);
    run.exit_code = status ? *status : -1;
    run.output = ReadFile(log);
    return run;
  }
  // As `identity`: by default the administrator, who loads employees and elections.
  ToolRun Netractl(std::vector<std::string> args, const std::string& identity = kAdmin) {
    args.insert(args.begin(), "--registry=" + stack_.address(Service::kRegistry));
    const auto tls = stack_.ToolTlsFlags(identity);
    args.insert(args.begin(), tls.begin(), tls.end());
    return Tool("netractl", std::move(args));
  }
  std::string Write(const std::string& name, const std::string& content) {
    std::string path = stack_.dir().File(name);
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  // Read as Jawa Tengah's Bawaslu: the employees imported here work across the province.
  grpc::Status GetEmployee(const std::string& id, v1::Employee* out) {
    auto stub = v1::RegistryService::NewStub(stack_.channel(Service::kRegistry, "bawaslu/33"));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 10s);
    v1::GetEmployeeRequest request;
    request.set_employee_id(id);
    v1::GetEmployeeResponse response;
    auto status = stub->GetEmployee(&context, request, &response);
    *out = response.employee();
    return status;
  }
  static int64_t Count(const nlohmann::json& summary, const char* key) {
    // Protobuf JSON writes int64 as strings.
    const auto& value = summary.at(key);
    return value.is_string() ? std::stoll(value.get<std::string>()) : value.get<int64_t>();
  }

  NetraStack stack_;
  int runs_ = 0;
};

TEST_F(NetractlDataTest, GeneratedProvinceImportsCompletelyAndAgainAsUnchanged) {
  std::string csv = stack_.dir().File("province-33.csv");
  ASSERT_EQ(Tool("netra-gen-employees", {"--province=33", "--count=3000", "--seed=11", "--out=" + csv}).exit_code, 0);

  auto first = Netractl({"import", "employees", csv, "--batch-size=500"});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  auto summary = nlohmann::json::parse(first.output);
  EXPECT_EQ(Count(summary, "rows_received"), 3000);
  EXPECT_EQ(Count(summary, "inserted"), 3000);
  EXPECT_EQ(Count(summary, "rejected"), 0);
  EXPECT_EQ(summary.at("client_rejected"), 0);
  EXPECT_GT(summary.at("rows_per_second").get<double>(), 0);

  // A PNS row from the file is stored as written.
  std::ifstream in(csv);
  std::string line, nip;
  while (nip.empty() && std::getline(in, line)) {
    if (line.rfind("PNS,", 0) == 0) nip = line.substr(4, 18);
  }
  v1::Employee employee;
  ASSERT_TRUE(GetEmployee(nip, &employee).ok());
  EXPECT_EQ(employee.employee_type(), v1::EMPLOYEE_TYPE_PNS);
  EXPECT_NE(line.find("," + employee.name() + ","), std::string::npos);

  // The same file under a fresh request id: applied again, nothing changes.
  auto again = Netractl({"import", "employees", csv, "--request-id=second-run"});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  summary = nlohmann::json::parse(again.output);
  EXPECT_EQ(Count(summary, "unchanged"), 3000);
  EXPECT_EQ(Count(summary, "inserted") + Count(summary, "updated"), 0);
}

TEST_F(NetractlDataTest, QuotedFieldsBomAndBadRowsAreReportedByRowNumber) {
  // Columns in a different order from the generator's; a BOM; CRLF; a quoted
  // name with a comma, doubled quotes and a diacritic; a quoted line break
  // (one record over two lines, so row numbers are not line numbers); a row
  // the client rejects and two the server rejects.
  const std::string agency = ",pemkab-33.02,Pemerintah Kabupaten Banyumas,33.02,";
  std::string csv = Write("hand.csv",
                          "\xEF\xBB\xBFname,employee_type,nip,gender,birth_date,agency_code,agency_name,"
                          "work_region_code,position\r\n"
                          "\"Dédé \"\"Ujang\"\", S.Pd.\",PNS,198702132013051010,M,1987-02-13" + agency + "Guru\r\n"
                          "Siti,PNS,198702132013052021,X,1987-02-13" + agency + "\r\n"
                          "Budi,PNS,198702302013051011,M,1987-02-30" + agency + "\r\n"
                          "Agus,PNS,198702132013051012,M,1987-02-13" + agency + "\"Kepala\nSeksi\"\r\n"
                          "\"Nur'aini\",PNS,198702132013052011,F,1987-02-13" + agency + "\"Analis, Ahli Muda\"\r\n");
  auto run = Netractl({"import", "employees", csv});
  ASSERT_EQ(run.exit_code, 3) << run.output;  // done, with rejected rows
  auto summary = nlohmann::json::parse(run.output);
  EXPECT_EQ(Count(summary, "inserted"), 2) << run.output;
  EXPECT_EQ(Count(summary, "rejected"), 2);
  ASSERT_EQ(summary.at("row_errors").size(), 2u) << run.output;
  EXPECT_EQ(Count(summary.at("row_errors")[0], "row_number"), 3);
  EXPECT_EQ(Count(summary.at("row_errors")[1], "row_number"), 4);
  EXPECT_EQ(summary.at("row_errors")[1].at("violations")[0].at("field"), "employee.position");
  EXPECT_EQ(summary.at("client_rejected"), 1);
  ASSERT_EQ(summary.at("client_row_errors").size(), 1u);
  EXPECT_EQ(Count(summary.at("client_row_errors")[0], "row_number"), 2);
  EXPECT_EQ(summary.at("client_row_errors")[0].at("violations")[0].at("field"), "gender");

  v1::Employee employee;
  ASSERT_TRUE(GetEmployee("198702132013051010", &employee).ok());
  EXPECT_EQ(employee.name(), "Dédé \"Ujang\", S.Pd.");
  ASSERT_TRUE(GetEmployee("198702132013052011", &employee).ok());
  EXPECT_EQ(employee.name(), "Nur'aini");
  EXPECT_EQ(employee.position(), "Analis, Ahli Muda");
}

TEST_F(NetractlDataTest, MalformedFileIsRefusedBeforeAnythingIsSent) {
  const std::string good_row =
      "PNS,198702132013051010,Budi,M,1987-02-13,pemkab-33.02,Pemerintah Kabupaten Banyumas,33.02\n";
  const std::string header = "employee_type,nip,name,gender,birth_date,agency_code,agency_name,work_region_code\n";
  auto stray = Netractl({"import", "employees", Write("stray.csv", header + good_row + "PNS,1\"2,x,M,,a,b,33.02\n")});
  EXPECT_EQ(stray.exit_code, 1);
  EXPECT_NE(stray.output.find("row 2: malformed CSV"), std::string::npos) << stray.output;

  auto missing = Netractl({"import", "employees", Write("missing.csv", "employee_type,nip,name\nPNS,1,x\n")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("missing required column(s)"), std::string::npos) << missing.output;
  EXPECT_NE(missing.output.find("gender"), std::string::npos) << missing.output;

  v1::Employee employee;
  EXPECT_EQ(GetEmployee("198702132013051010", &employee).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(NetractlDataTest, ElectionUpsertFromJsonGetAndList) {
  const std::string file = NETRA_SOURCE_DIR "/deploy/local/elections/pemilu-2024.json";
  auto created = Netractl({"elections", "upsert", file});
  ASSERT_EQ(created.exit_code, 0) << created.output;
  auto response = nlohmann::json::parse(created.output);
  EXPECT_EQ(response.at("result"), "UPSERT_RESULT_CREATED");
  const std::string id = response.at("election").at("election_id");

  // The same file again is the same request (request id from the file hash).
  auto repeated = Netractl({"elections", "upsert", file});
  ASSERT_EQ(repeated.exit_code, 0) << repeated.output;
  EXPECT_EQ(nlohmann::json::parse(repeated.output).at("result"), "UPSERT_RESULT_CREATED");
  // A create-only upsert under another request id finds it exists.
  auto conflict = Netractl({"elections", "upsert", file, "--request-id=another"});
  EXPECT_EQ(conflict.exit_code, 1);
  EXPECT_NE(conflict.output.find("AlreadyExists"), std::string::npos) << conflict.output;

  auto got = Netractl({"elections", "get", id});
  ASSERT_EQ(got.exit_code, 0) << got.output;
  EXPECT_EQ(nlohmann::json::parse(got.output).at("election").at("election_id"), id);
  auto listed = Netractl({"elections", "list", "--all"});
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_EQ(nlohmann::json::parse(listed.output).at("elections").size(), 1u);

  auto typo = Netractl({"elections", "upsert", Write("typo.json", R"({"election_id": "x", "nmae": "y"})")});
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_NE(typo.output.find("nmae"), std::string::npos) << typo.output;
}

TEST_F(NetractlDataTest, HashNiksNeverPrintsAClearNik) {
  auto run = Tool("netractl", {"hash-niks", Write("niks.txt", "3302015302870001\n3302019902870001\n"),
                               "--nik-key-file=" + stack_.nik_key_file()});
  EXPECT_EQ(run.exit_code, 3) << run.output;  // one skipped
  EXPECT_NE(run.output.find("line 2: not a valid NIK"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("3302015302870001"), std::string::npos);
  EXPECT_EQ(run.output.find("3302019902870001"), std::string::npos);
}

TEST_F(NetractlDataTest, AnOperatorAsksWhoLookedAtAnEmployee) {
  const std::string bkd = "bkd/33.02";
  auto imported = Netractl({"import", "employees",
                            Write("one.csv",
                                  "employee_type,nip,name,gender,birth_date,agency_code,agency_name,work_region_code\n"
                                  "PNS,198702132013051010,Ahmad,M,1987-02-13,pemkab-33.02,Pemerintah Kabupaten "
                                  "Banyumas,33.02\n")},
                           bkd);
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  ASSERT_EQ(Netractl({"employees", "get", "198702132013051010"}, bkd).exit_code, 0);

  auto reads = Netractl({"access-log", "--employee", "198702132013051010"}, "ops");
  ASSERT_EQ(reads.exit_code, 0) << reads.output;
  auto listed = nlohmann::json::parse(reads.output).at("reads");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].at("caller"), bkd);
  EXPECT_EQ(listed[0].at("method"), "netra.v1.RegistryService/GetEmployee");
  auto by_caller = Netractl({"access-log", "--caller", bkd}, "ops");
  ASSERT_EQ(by_caller.exit_code, 0) << by_caller.output;
  EXPECT_EQ(nlohmann::json::parse(by_caller.output).at("reads").size(), 1u);
  EXPECT_EQ(Netractl({"access-log"}, "ops").exit_code, 2);                                    // names nobody
  EXPECT_EQ(Netractl({"access-log", "--caller", bkd}, bkd).exit_code, 1);                    // not the BKD's to ask
}

TEST_F(NetractlDataTest, PartyMembersAreImportedWithoutAClearNikAndMatchesResolved) {
  // Banyumas's BKD keeps its staff's records and follows their matches up; KPU RI uploads
  // the party-membership register.
  const std::string bkd = "bkd/33.02";
  const std::string agency = ",pemkab-33.02,Pemerintah Kabupaten Banyumas,33.02\n";
  auto employees = Netractl({"import", "employees",
                             Write("staff.csv",
                                   "employee_type,nip,nik,name,gender,birth_date,agency_code,agency_name,"
                                   "work_region_code\n"
                                   "PNS,198702132013051010,3302011302870001,Ahmad,M,1987-02-13" + agency +
                                   "PNS,198702132013051012,3302011302870002,Bagus,M,1987-02-13" + agency)},
                            bkd);
  ASSERT_EQ(employees.exit_code, 0) << employees.output;

  const std::string members = Write("members.csv",
                                    "nik,party_code,party_name,region_code,role\n"
                                    "3302011302870001,PDIP,Partai Demokrasi Indonesia Perjuangan,33.02,member\n"
                                    "3302011302870009,GOLKAR,Partai Golongan Karya,33.02,PENGURUS\n"
                                    "3302019902870003,PKB,Partai Kebangkitan Bangsa,33.02,\n"
                                    "3302011302870002,PKB,Partai Kebangkitan Bangsa,33.02,treasurer\n");
  auto refused = Netractl({"import", "party-members", members}, kNationalKpu);
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("hash it first"), std::string::npos) << refused.output;

  auto hashed_here =
      Netractl({"import", "party-members", members, "--hash-with-key=" + stack_.nik_key_file()}, kNationalKpu);
  ASSERT_EQ(hashed_here.exit_code, 3) << hashed_here.output;
  auto summary = nlohmann::json::parse(hashed_here.output);
  EXPECT_EQ(Count(summary, "records_received"), 2);
  EXPECT_EQ(Count(summary, "accepted"), 2);
  EXPECT_EQ(Count(summary, "matched"), 1);
  EXPECT_EQ(summary.at("client_rejected"), 2);
  ASSERT_EQ(summary.at("client_row_errors").size(), 2u);
  EXPECT_EQ(summary.at("client_row_errors")[0].at("violations")[0].at("field"), "nik");
  EXPECT_EQ(summary.at("client_row_errors")[1].at("violations")[0].at("field"), "role");
  for (const char* nik : {"3302011302870001", "3302011302870009", "3302019902870003", "3302011302870002"}) {
    EXPECT_EQ(hashed_here.output.find(nik), std::string::npos) << nik;
  }

  // The other way: hash-niks first, then the file of HMACs, with a short and a non-hex hash added.
  const std::string hashed = stack_.dir().File("members-hashed.csv");
  auto hash = Tool("netractl", {"hash-niks", members, "--nik-key-file=" + stack_.nik_key_file(), "--out=" + hashed});
  ASSERT_EQ(hash.exit_code, 3) << hash.output;  // the invalid NIK is skipped
  std::ofstream(hashed, std::ios::app) << "abcdef,PAN,Partai Amanat Nasional,33.02,\r\nxyz,PAN,,,\r\n";
  auto from_hashes = Netractl({"import", "party-members", hashed}, kNationalKpu);
  ASSERT_EQ(from_hashes.exit_code, 3) << from_hashes.output;
  summary = nlohmann::json::parse(from_hashes.output);
  EXPECT_EQ(Count(summary, "records_received"), 3);
  EXPECT_EQ(Count(summary, "accepted"), 2);     // the same two records again
  EXPECT_EQ(Count(summary, "new_matches"), 0);  // and so no new match
  ASSERT_EQ(summary.at("row_errors").size(), 1u);
  EXPECT_EQ(Count(summary.at("row_errors")[0], "row_number"), 4);
  EXPECT_EQ(summary.at("row_errors")[0].at("violations")[0].at("field"), "nik_hmac");
  ASSERT_EQ(summary.at("client_row_errors").size(), 2u);
  EXPECT_EQ(summary.at("client_row_errors")[0].at("violations")[0].at("field"), "role");
  EXPECT_EQ(summary.at("client_row_errors")[1].at("violations")[0].at("field"), "nik_hmac");

  auto listed = Netractl({"party-matches", "list", "--status=open", "--party=PDIP"}, bkd);
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  auto matches = nlohmann::json::parse(listed.output).at("matches");
  ASSERT_EQ(matches.size(), 1u);
  const std::string match_id = matches[0].at("match_id");
  EXPECT_EQ(matches[0].at("employee").at("employee_id"), "198702132013051010");

  auto misuse = Netractl({"party-matches", "resolve", match_id, "--as=identity-misuse",
                          "--statement-reference=800/3/2024", "--statement-date=2024-01-15", "--expected-version=1"},
                         bkd);
  ASSERT_EQ(misuse.exit_code, 0) << misuse.output;
  EXPECT_EQ(nlohmann::json::parse(misuse.output).at("match").at("status"),
            "PARTY_MEMBERSHIP_MATCH_STATUS_IDENTITY_MISUSE");
  auto again = Netractl({"party-matches", "resolve", match_id, "--as=confirmed-member"}, bkd);
  EXPECT_EQ(again.exit_code, 1) << again.output;
  EXPECT_NE(again.output.find("\"FailedPrecondition\""), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("PARTY_MEMBERSHIP_MATCH_STATUS_IDENTITY_MISUSE"), std::string::npos) << again.output;
}

}  // namespace
}  // namespace netra::testing
