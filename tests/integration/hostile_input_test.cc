// What a broken or hostile client meets, against real processes: text that is
// not UTF-8 (in unary requests and in stream messages), requests with
// thousands of faults, uploads cut off half-way, and floods past the server's
// thread quota, per-connection stream limit and connection age. Each must get
// a prompt, bounded, correct answer, and leave nothing stored.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <sstream>

#include "common/client.h"
#include "netra/v1/complaint.grpc.pb.h"
#include "netra/v1/errors.pb.h"
#include "netra/v1/registry.grpc.pb.h"
#include "tests/integration/netra_stack.h"

namespace netra::testing {
namespace {

namespace v1 = netra::v1;
using namespace std::chrono_literals;

constexpr char kNotUtf8[] = "Sit\xC3\x28 Aminah";  // a lead byte followed by no continuation

std::unique_ptr<grpc::ClientContext> Context(std::chrono::milliseconds deadline = 10s) {
  auto context = MakeClientContext(deadline);
  context->AddMetadata("x-netra-actor", "officer-1");
  return context;
}

// Every line a service wrote is a JSON object: no library's plain-text complaint.
void ExpectOnlyJsonLines(const std::string& log) {
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    EXPECT_EQ(line.front(), '{') << "not a JSON log line: " << line;
  }
}

v1::BadRequest BadRequestOf(const grpc::Status& status) {
  v1::ErrorStatus details;
  v1::BadRequest bad_request;
  EXPECT_TRUE(details.ParseFromString(status.error_details()));
  if (details.details_size() > 0) {
    EXPECT_TRUE(details.details(0).UnpackTo(&bad_request));
  }
  return bad_request;
}

v1::Employee Employee(const std::string& name) {
  v1::Employee e = SemarangEmployee(1);
  e.set_name(name);
  return e;
}

size_t FilesUnder(const std::string& dir) {
  size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) ++n;
  }
  return n;
}

TEST(HostileInput, TextThatIsNotUtf8IsInvalidArgumentOnItsPathAndNothingIsStored) {
  NetraStack stack;
  ASSERT_TRUE(stack.Start(Service::kRegistry));
  auto registry = v1::RegistryService::NewStub(stack.channel(Service::kRegistry));

  // Unary, nested field.
  v1::UpsertEmployeeRequest upsert;
  upsert.set_request_id("utf8-unary");
  *upsert.mutable_employee() = Employee(kNotUtf8);
  v1::UpsertEmployeeResponse upserted;
  auto status = registry->UpsertEmployee(Context().get(), upsert, &upserted);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"employee.name"});

  // A client stream: the second message's third row. The stream is answered,
  // not ended as if the client had finished, and no row of that message is kept.
  v1::ImportEmployeesResponse imported;
  auto context = Context();
  auto writer = registry->ImportEmployees(context.get(), &imported);
  v1::ImportEmployeesRequest message;
  message.set_request_id("utf8-stream");
  ASSERT_TRUE(writer->Write(message));
  message.Clear();
  for (int i = 0; i < 3; ++i) {
    auto* row = message.add_rows();
    row->set_row_number(i + 1);
    *row->mutable_employee() = SemarangEmployee(10 + i);
  }
  message.mutable_rows(2)->mutable_employee()->set_position(kNotUtf8);
  writer->Write(message);
  writer->WritesDone();
  status = writer->Finish();
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"rows[2].employee.position"});

  for (const v1::Employee& e : {SemarangEmployee(1), SemarangEmployee(10), SemarangEmployee(12)}) {
    v1::GetEmployeeRequest get;
    get.set_employee_id(e.nip());
    v1::GetEmployeeResponse got;
    EXPECT_EQ(registry->GetEmployee(Context().get(), get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  ExpectOnlyJsonLines(stack.log(Service::kRegistry));
}

TEST(HostileInput, AThousandFaultsGetASmallAnswerThatCountsTheRest) {
  NetraStack stack;
  ASSERT_TRUE(stack.Start(Service::kRegistry));
  ASSERT_TRUE(stack.Start(Service::kComplaint));
  auto complaint = v1::ComplaintService::NewStub(stack.channel(Service::kComplaint));
  v1::SubmitComplaintRequest request;
  request.set_request_id("many-faults");
  for (int i = 0; i < 5000; ++i) request.add_evidence_ids(std::string("ev-\xFF-") + std::to_string(i));
  v1::SubmitComplaintResponse response;
  const auto start = std::chrono::steady_clock::now();
  auto status = complaint->SubmitComplaint(Context().get(), request, &response);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LE(status.error_message().size(), 1024u);
  auto bad_request = BadRequestOf(status);
  ASSERT_EQ(bad_request.field_violations_size(), 50);
  EXPECT_EQ(bad_request.field_violations(0).field(), "evidence_ids[0]");
  EXPECT_EQ(bad_request.omitted_violation_count(), 4950);
  EXPECT_LT(status.error_details().size(), 16u * 1024);
  ExpectOnlyJsonLines(stack.log(Service::kComplaint));
}

TEST(HostileInput, AnUploadCancelledOrPastItsDeadlineStoresNothing) {
  NetraStack stack;
  ASSERT_TRUE(stack.Start(Service::kRegistry));
  ASSERT_TRUE(stack.Start(Service::kComplaint));
  auto complaint = v1::ComplaintService::NewStub(stack.channel(Service::kComplaint));
  const std::string evidence_dir = stack.dir().File("evidence");
  auto partial_upload = [&](std::unique_ptr<grpc::ClientContext> context, bool cancel) {
    v1::UploadEvidenceResponse response;
    auto writer = complaint->UploadEvidence(context.get(), &response);
    v1::UploadEvidenceRequest message;
    message.set_request_id(cancel ? "cut-off" : "too-slow");
    message.set_file_name("video.mp4");
    message.set_total_size(8 << 20);
    message.set_chunk(std::string(1 << 20, 'v'));
    EXPECT_TRUE(writer->Write(message));
    // The server has the first chunk in a temporary file before we give up.
    EXPECT_TRUE(WaitUntil([&] { return FilesUnder(evidence_dir + "/tmp") == 1; }, 5s));
    if (cancel) context->TryCancel();
    return writer->Finish();  // past the deadline when not cancelled: the server gives up too
  };
  EXPECT_EQ(partial_upload(Context(), true).error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(WaitUntil([&] { return FilesUnder(evidence_dir) == 0; }, 5s));
  EXPECT_EQ(partial_upload(Context(1500ms), false).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(WaitUntil([&] { return FilesUnder(evidence_dir) == 0; }, 5s)) << FilesUnder(evidence_dir);
}

// Fault injection holds each ListRegions call in its handler, so that calls
// pile up deterministically.
std::vector<grpc::Status> ConcurrentListRegions(const std::shared_ptr<grpc::Channel>& channel, int calls) {
  auto stub = v1::RegistryService::NewStub(channel);
  std::vector<std::future<grpc::Status>> futures;
  for (int i = 0; i < calls; ++i) {
    futures.push_back(std::async(std::launch::async, [&stub] {
      v1::ListRegionsRequest request;
      v1::ListRegionsResponse response;
      return stub->ListRegions(Context(10s).get(), request, &response);
    }));
  }
  std::vector<grpc::Status> out;
  for (auto& f : futures) out.push_back(f.get());
  return out;
}

TEST(ServerLimits, CallsPastTheHandlerThreadQuotaAreRefusedAndTheServerStaysUp) {
  NetraStack stack;
  ASSERT_TRUE(stack.Start(Service::kRegistry, {"--max-handler-threads=4", "--fault-delay=ListRegions=1000"}));
  const auto statuses = ConcurrentListRegions(stack.channel(Service::kRegistry), 16);
  int ok = 0, exhausted = 0;
  for (const auto& s : statuses) {
    if (s.ok()) ++ok;
    else if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) ++exhausted;
    else ADD_FAILURE() << "unexpected status " << s.error_code() << " " << s.error_message();
  }
  EXPECT_GE(ok, 1);
  EXPECT_GE(exhausted, 1);
  // The flood is over: the next call is served.
  v1::ListRegionsRequest request;
  v1::ListRegionsResponse response;
  EXPECT_TRUE(v1::RegistryService::NewStub(stack.channel(Service::kRegistry))
                  ->ListRegions(Context().get(), request, &response)
                  .ok());
  EXPECT_TRUE(stack.process(Service::kRegistry).Running());
}

TEST(ServerLimits, OneConnectionRunsAtMostItsStreamLimitAtOnce) {
  NetraStack stack;
  ASSERT_TRUE(stack.Start(Service::kRegistry, {"--max-concurrent-streams=2", "--fault-delay=ListRegions=600"}));
  auto channel = MakeChannel(stack.address(Service::kRegistry), nullptr);
  const auto start = std::chrono::steady_clock::now();
  for (const auto& s : ConcurrentListRegions(channel, 4)) EXPECT_TRUE(s.ok()) << s.error_message();
  // Four calls, two at a time, each held 600 ms: at least two rounds.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1200ms);
}

TEST(ServerLimits, ConnectionsAreClosedAtTheirMaximumAgeAndClientsReconnect) {
  NetraStack stack;
  ASSERT_TRUE(stack.Start(Service::kRegistry,
                          {"--max-connection-age-seconds=1", "--max-connection-age-grace-seconds=1"}));
  auto channel = MakeChannel(stack.address(Service::kRegistry), nullptr);
  auto stub = v1::RegistryService::NewStub(channel);
  v1::ListRegionsRequest request;
  v1::ListRegionsResponse response;
  ASSERT_TRUE(stub->ListRegions(Context().get(), request, &response).ok());
  ASSERT_EQ(channel->GetState(false), GRPC_CHANNEL_READY);
  // The server sends GOAWAY after a second: the channel leaves READY by itself.
  EXPECT_TRUE(channel->WaitForStateChange(GRPC_CHANNEL_READY, std::chrono::system_clock::now() + 10s));
  EXPECT_TRUE(stub->ListRegions(Context().get(), request, &response).ok());
}

}  // namespace
}  // namespace netra::testing
