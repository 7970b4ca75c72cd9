// netra-complaint-bench: the complaint service's benchmarks (issue 4), against
// a running netra-registry and netra-complaint:
//
//   netra-complaint-bench --registry 127.0.0.1:50051 --complaint 127.0.0.1:50052
//       --scenario submit|burst|upload [--concurrency 32] [--duration 10]
//
//   submit  SubmitComplaint with a subject resolved by NIP (each call a new
//           report, own request_id; many subjects, so clusters stay small),
//           closed loop; durable (the service answers after the commit).
//   burst   500 near-identical reports about one subject and violation, as
//           fast as they come (a viral post), then counts the cluster via
//           ListComplaints: one cluster of 500, 500 tracking codes.
//   upload  UploadEvidence of one --upload-mib file (default 50) in 1 MiB chunks;
//           MB/s over --repeat uploads of distinct content.
//
// Seeds what it needs first (idempotent): the demo's Pemilu 2024 election and
// --subjects PNS employees in Kota Semarang. Prints one JSON object.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "absl/time/civil_time.h"
#include "common/client.h"
#include "common/tls.h"
#include "netra/v1/complaint.grpc.pb.h"
#include "netra/v1/registry.grpc.pb.h"
#include "tools/loadgen/bench_reports.h"
#include "tools/loadgen/driver.h"

namespace {

namespace v1 = netra::v1;
using google::protobuf::util::TimeUtil;

bool Seed(const std::string& registry_target, const std::string& election_file, int subjects, std::string* error) {
  auto stub = v1::RegistryService::NewStub(netra::MakeChannel(registry_target, nullptr));
  std::ifstream file(election_file);
  std::stringstream json;
  json << file.rdbuf();
  v1::UpsertElectionRequest election;
  election.set_request_id("bench-seed-election");
  if (!google::protobuf::util::JsonStringToMessage(json.str(), election.mutable_election()).ok()) {
    *error = "cannot read " + election_file;
    return false;
  }
  v1::UpsertElectionResponse election_response;
  auto status = stub->UpsertElection(netra::MakeClientContext(std::chrono::seconds(10)).get(), election, &election_response);
  if (!status.ok() && status.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
    *error = "UpsertElection: " + status.error_message();
    return false;
  }
  for (int n = 0; n < subjects; ++n) {
    v1::UpsertEmployeeRequest request;
    request.set_request_id("bench-seed-employee-" + std::to_string(n));
    auto* e = request.mutable_employee();
    const absl::CivilDay birth = absl::CivilDay(1970, 1, 1) + n;
    e->set_employee_type(v1::EMPLOYEE_TYPE_PNS);
    e->set_nip(netra::loadgen::BenchNip(n));
    e->set_name("Pegawai " + std::to_string(n));
    e->set_gender(v1::GENDER_MALE);
    e->mutable_birth_date()->set_year(static_cast<int>(birth.year()));
    e->mutable_birth_date()->set_month(birth.month());
    e->mutable_birth_date()->set_day(birth.day());
    e->set_agency_code("PEMKOT-SMG");
    e->set_agency_name("Pemerintah Kota Semarang");
    e->set_work_region_code("33.74");
    v1::UpsertEmployeeResponse response;
    status = stub->UpsertEmployee(netra::MakeClientContext(std::chrono::seconds(10)).get(), request, &response);
    if (!status.ok() && status.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
      *error = "UpsertEmployee: " + status.error_message();
      return false;
    }
  }
  return true;
}

grpc::Status UploadOnce(v1::ComplaintService::Stub& stub, const std::string& content, v1::UploadEvidenceResponse* out) {
  auto context = netra::MakeClientContext(std::chrono::seconds(120));
  auto writer = stub.UploadEvidence(context.get(), out);
  v1::UploadEvidenceRequest message;
  message.set_file_name("bench.bin");
  message.set_total_size(static_cast<int64_t>(content.size()));
  constexpr size_t kChunk = 1 << 20;
  for (size_t i = 0; i < content.size(); i += kChunk) {
    message.set_chunk(content.substr(i, kChunk));
    if (!writer->Write(message)) break;
    message.Clear();
  }
  writer->WritesDone();
  return writer->Finish();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"netra-complaint-bench: SubmitComplaint throughput, viral-post burst, UploadEvidence MB/s"};
  std::string registry = "127.0.0.1:50051", complaint = "127.0.0.1:50052", scenario = "submit";
  std::string election_file = std::string(NETRA_SOURCE_DIR) + "/deploy/local/elections/pemilu-2024.json";
  int subjects = 200, burst = 500, upload_mib = 50, repeat = 3;
  netra::loadgen::LoadOptions options;
  options.concurrency = 32;
  options.duration_seconds = 10;
  options.warmup_seconds = 1;
  app.add_option("--registry", registry, "netra-registry address");
  app.add_option("--complaint", complaint, "netra-complaint address");
  app.add_option("--scenario", scenario, "submit, burst or upload")->check(CLI::IsMember({"submit", "burst", "upload"}));
  app.add_option("--election-file", election_file, "Election seeded into the registry");
  app.add_option("--subjects", subjects, "Employees seeded and reported about (submit)")->check(CLI::Range(1, 100000));
  app.add_option("--burst", burst, "Reports in the burst")->check(CLI::Range(1, 100000));
  app.add_option("--concurrency,-c", options.concurrency, "Calls in flight")->check(CLI::Range(1, 10000));
  app.add_option("--duration", options.duration_seconds, "Measured seconds (submit)")->check(CLI::Range(1.0, 3600.0));
  app.add_option("--upload-mib", upload_mib, "Size of each uploaded file")->check(CLI::Range(1, 1024));
  app.add_option("--repeat", repeat, "Uploads (distinct content)")->check(CLI::Range(1, 100));
  netra::ClientTlsFlags tls;
  tls.Add(app);
  CLI11_PARSE(app, argc, argv);
  if (std::string tls_error; !tls.Apply(&tls_error)) {
    std::cerr << "netra-complaint-bench: " << tls_error << "\n";
    return 2;
  }

  std::string error;
  if (!Seed(registry, election_file, scenario == "submit" ? subjects : 1, &error)) {
    std::cerr << "netra-complaint-bench: " << error << "\n";
    return 1;
  }
  auto channel = netra::MakeChannel(complaint, nullptr, 64 << 20);
  auto stub = v1::ComplaintService::NewStub(channel);
  const std::string run = std::to_string(TimeUtil::TimestampToMicroseconds(TimeUtil::GetCurrentTime()));
  nlohmann::ordered_json out;
  out["scenario"] = scenario;
  out["complaint"] = complaint;

  // Every report carries one piece of evidence (a formal requirement).
  v1::UploadEvidenceResponse evidence;
  auto status = UploadOnce(*stub, "%PDF-1.7\n" + std::string(4096, 'e'), &evidence);
  if (!status.ok()) {
    std::cerr << "netra-complaint-bench: UploadEvidence: " << status.error_message() << "\n";
    return 1;
  }
  const std::string evidence_id = evidence.evidence().evidence_id();

  if (scenario == "submit") {
    auto channels = netra::loadgen::MakeChannels(complaint, 4);
    std::vector<std::unique_ptr<v1::ComplaintService::Stub>> stubs;
    for (const auto& c : channels) stubs.push_back(v1::ComplaintService::NewStub(c));
    options.channels = channels.size();
    std::atomic<int64_t> sequence{0};
    auto start = [&](size_t ch, grpc::ClientContext* context, netra::loadgen::Done done) {
      const int64_t n = sequence.fetch_add(1);
      auto request = std::make_shared<v1::SubmitComplaintRequest>(
          netra::loadgen::BenchReport("bench-" + run + "-" + std::to_string(n), netra::loadgen::BenchNip(static_cast<int>(n % subjects)), evidence_id, "pemilu-2024"));
      auto response = std::make_shared<v1::SubmitComplaintResponse>();
      stubs[ch]->async()->SubmitComplaint(context, request.get(), response.get(),
                                          [request, response, done = std::move(done)](grpc::Status s) { done(s); });
    };
    auto result = netra::loadgen::RunLoad(options, start);
    const auto figures = netra::loadgen::ResultJson(result);  // items() of a temporary would dangle
    for (const auto& [key, value] : figures.items()) out[key] = value;
  } else if (scenario == "burst") {
    options.requests = burst;
    options.duration_seconds = 0;
    options.warmup_seconds = 0;
    std::atomic<int64_t> sequence{0};
    auto start = [&](size_t, grpc::ClientContext* context, netra::loadgen::Done done) {
      const int64_t n = sequence.fetch_add(1);
      auto request = std::make_shared<v1::SubmitComplaintRequest>(
          netra::loadgen::BenchReport("burst-" + run + "-" + std::to_string(n), netra::loadgen::BenchNip(0), evidence_id, "pemilu-2024"));
      // The run is named in the description: the reporter is sealed in every answer.
      request->mutable_act()->set_description("Viral: foto bersama calon. Laporan " + run + " ke-" + std::to_string(n));
      auto response = std::make_shared<v1::SubmitComplaintResponse>();
      stub->async()->SubmitComplaint(context, request.get(), response.get(),
                                     [request, response, done = std::move(done)](grpc::Status s) { done(s); });
    };
    auto result = netra::loadgen::RunLoad(options, start);
    const auto figures = netra::loadgen::ResultJson(result);  // items() of a temporary would dangle
    for (const auto& [key, value] : figures.items()) out[key] = value;
    // Count what was stored for this run: the clusters and tracking codes of its reports.
    std::set<std::string> clusters, codes;
    int64_t stored = 0;
    v1::ListComplaintsRequest list;
    list.set_page_size(1000);
    list.set_region_code("33.74");
    int64_t largest = 0;
    while (true) {
      v1::ListComplaintsResponse page;
      auto s = stub->ListComplaints(netra::MakeClientContext(std::chrono::seconds(30)).get(), list, &page);
      if (!s.ok()) {
        std::cerr << "netra-complaint-bench: ListComplaints: " << s.error_message() << "\n";
        return 1;
      }
      for (const auto& c : page.complaints()) {
        if (c.act().description().find("Laporan " + run + " ke-") == std::string::npos) continue;
        ++stored;
        clusters.insert(c.cluster().cluster_id());
        codes.insert(c.tracking_code());
        largest = std::max<int64_t>(largest, c.cluster().member_count());
      }
      if (page.next_page_token().empty()) break;
      list.set_page_token(page.next_page_token());
    }
    out["reports_stored"] = stored;
    out["clusters"] = clusters.size();
    out["distinct_tracking_codes"] = codes.size();
    out["largest_cluster_members"] = largest;
  } else {
    std::string content(static_cast<size_t>(upload_mib) << 20, '\0');
    for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>((i * 2654435761u) >> 13);
    double seconds = 0;
    for (int i = 0; i < repeat; ++i) {
      content[0] = static_cast<char>(i);  // distinct content: every upload is really stored
      std::memcpy(content.data() + 1, run.data(), std::min<size_t>(run.size(), 32));
      v1::UploadEvidenceResponse response;
      auto begin = std::chrono::steady_clock::now();
      auto s = UploadOnce(*stub, content, &response);
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
      if (!s.ok() || response.already_stored()) {
        std::cerr << "netra-complaint-bench: UploadEvidence: " << s.error_message() << "\n";
        return 1;
      }
    }
    out["file_mib"] = upload_mib;
    out["uploads"] = repeat;
    out["seconds"] = seconds;
    out["mb_per_second"] = static_cast<double>(content.size()) * repeat / 1e6 / seconds;
  }
  std::cout << out.dump() << std::endl;
  return 0;
}
