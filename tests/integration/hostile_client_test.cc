// The hostile client: thousands of generated malformed requests to every RPC
// of every netra.v1 service, against the three real services, a real Redis and
// real SQLite files. The methods come from the descriptors of the files in
// proto/netra/v1, so a new RPC is covered without editing this test; the
// requests are raw wire bytes (tests/integration/hostile_requests.h) sent with
// grpc::GenericStub, unary or as a client stream.
//
// Each method is called as an identity the access policy (deploy/access-policy.json)
// allows for it, so that every case reaches the request parsing.
//
// Asserted for every call: no INTERNAL or UNKNOWN; no refusal by the access
// policy; no call slower than a bound;
// an error answer stays small (grpc-message under 1 KiB, details under 16 KiB);
// a request protobuf cannot parse is never accepted, and invalid UTF-8 is
// INVALID_ARGUMENT naming its field. After the run: every process alive and
// SERVING, and every line of its log JSON.
//
// Reproducible: NETRA_HOSTILE_SEED (printed on failure) fixes every request;
// NETRA_HOSTILE_CASE=<method>#<index> runs one case; NETRA_HOSTILE_CASES sets
// the cases per method.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/byte_buffer.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>

#include "common/access_policy.h"
#include "common/client.h"
#include "common/identity.h"
#include "netra/v1/registry.grpc.pb.h"
#include "tests/integration/hostile_requests.h"
#include "tests/integration/netra_stack.h"
#include "tests/support/netra_services.h"

namespace netra::testing {
namespace {

namespace v1 = netra::v1;
using namespace std::chrono_literals;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;
using hostile::HostileCase;
using hostile::InputClass;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxMessageBytes = 1024;                      // most bytes of an error answer's grpc-message
constexpr size_t kMaxDetailsBytes = 16 * 1024;                 // grpc-status-details-bin of an error answer
constexpr std::chrono::milliseconds kCallDeadline = 5s;        // every call's deadline (the slow bound is below it)
constexpr std::chrono::milliseconds kStalledDeadline = 300ms;  // a stalled stream's deadline

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::stoll(v) : fallback;
}

struct Settings {
  uint64_t seed = static_cast<uint64_t>(EnvInt("NETRA_HOSTILE_SEED", 20261206));
  int cases_per_method = static_cast<int>(EnvInt("NETRA_HOSTILE_CASES", 96));
  std::chrono::milliseconds slow{EnvInt("NETRA_HOSTILE_SLOW_MS", 2000)};
  std::chrono::seconds budget{EnvInt("NETRA_HOSTILE_BUDGET_S", 120)};
  std::string only = std::getenv("NETRA_HOSTILE_CASE") ? std::getenv("NETRA_HOSTILE_CASE") : "";
};

const char* CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {
      "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
      "DATA_LOSS", "UNAUTHENTICATED"};
  int i = static_cast<int>(code);
  return i >= 0 && i <= 16 ? kNames[i] : "?";
}

// What one call came back with.
struct Answer {
  grpc::Status status;
  std::chrono::milliseconds elapsed{};
};

grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// Sends `c` to `method` and waits for its status; every step has the call's deadline.
Answer Send(grpc::GenericStub& stub, const MethodDescriptor& method, const HostileCase& c, std::mt19937_64& rng) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       (c.ending == HostileCase::Ending::kStall ? kStalledDeadline : kCallDeadline));
  // Who the caller claims to be in headers (the person acting; they grant nothing).
  static const char* const kActors[] = {"", "officer-1", "svc:netra-sanction", "admin"};
  static const char* const kAgencies[] = {"", "bawaslu-33.74", "bkn", "bkd-33.74"};
  if (const char* actor = kActors[rng() % 4]; *actor) context.AddMetadata("x-netra-actor", actor);
  if (const char* agency = kAgencies[rng() % 4]; *agency) context.AddMetadata("x-netra-agency", agency);
  context.AddMetadata("x-request-id", "hostile-" + std::to_string(rng() % 1'000'000));

  const std::string path = "/" + method.service()->full_name() + "/" + method.name();
  grpc::CompletionQueue cq;
  void* got_tag = nullptr;
  bool ok = false;
  auto next = [&] { return cq.Next(&got_tag, &ok) && ok; };
  Answer answer;
  grpc::ByteBuffer response;
  const auto start = Clock::now();
  if (!method.client_streaming()) {
    auto call = stub.PrepareUnaryCall(&context, path, Buffer(c.messages.at(0)), &cq);
    call->StartCall();
    call->Finish(&response, &answer.status, &cq);
    next();
  } else {
    auto call = stub.PrepareCall(&context, path, &cq);
    call->StartCall(&cq);
    bool open = next();
    // A write fails once the server has answered; the status then says why.
    for (const auto& message : c.messages) {
      if (!open) break;
      call->Write(Buffer(message), &cq);
      open = next();
    }
    if (c.ending == HostileCase::Ending::kCancel) {
      context.TryCancel();
    } else if (c.ending == HostileCase::Ending::kHalfClose && open) {
      call->WritesDone(&cq);
      next();
    }
    call->Read(&response, &cq);
    next();
    call->Finish(&answer.status, &cq);
    next();
  }
  answer.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  cq.Shutdown();
  while (cq.Next(&got_tag, &ok)) {}
  return answer;
}

// A channel that lets through whatever the server answers, so that an
// oversize error is measured here rather than refused by the client library.
std::shared_ptr<grpc::Channel> HostileChannel(const std::string& address,
                                              std::shared_ptr<grpc::ChannelCredentials> credentials) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_MAX_METADATA_SIZE, 16 << 20);
  args.SetInt("grpc.absolute_max_metadata_size", 16 << 20);
  args.SetMaxReceiveMessageSize(-1);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  return grpc::CreateCustomChannel(address, std::move(credentials), args);
}

// Who calls `method` in the cases: the first of these identities (one of each kind) that
// the access policy allows to, or "" if it allows none of them.
std::string AllowedCaller(const AccessPolicy& policy, const MethodDescriptor& method) {
  static const char* const kCandidates[] = {
      "bawaslu/33.74", "bkd/33.74", "authority/bkn", "ppk/walikota:33.74", "kpu/ri",       "ministry/kemenpanrb",
      "admin",         "ops",       "svc/complaint", "svc/sanction",        "svc/registry"};
  const std::string full_method = method.service()->full_name() + "/" + method.name();
  for (const char* path : kCandidates) {
    std::string why;
    const std::optional<Identity> identity = ParseIdentityPath(path, &why);
    EXPECT_TRUE(identity) << path << ": " << why;
    if (identity && policy.Check(full_method, &*identity).allowed) return path;
  }
  return "";
}

// The refusal of the access policy (common/access_control.cc), rather than a handler's.
bool RefusedByPolicy(const grpc::Status& status) {
  const auto code = status.error_code();
  if (code == grpc::StatusCode::UNAUTHENTICATED) return true;
  if (code != grpc::StatusCode::PERMISSION_DENIED) return false;
  const std::string& message = status.error_message();
  return message.starts_with(kDenyNoRule) || message.starts_with(kDenyIdentityNotAllowed);
}

// Failures grouped by (method, input class, what went wrong), so thousands of
// calls failing the same way print as one line with a count and an example.
class Findings {
 public:
  void Add(const std::string& method, InputClass input_class, const std::string& what, int index,
           const std::string& example) {
    auto& group = groups_[{method, hostile::Name(input_class), what}];
    if (group.count++ == 0) {
      group.first_index = index;
      group.example = example;
    }
  }
  bool empty() const { return groups_.empty(); }
  std::string Report(uint64_t seed) const {
    std::ostringstream out;
    out << groups_.size() << " kinds of failure (seed " << seed << "; rerun one with NETRA_HOSTILE_SEED=" << seed
        << " NETRA_HOSTILE_CASE=<method>#<case>):\n";
    for (const auto& [key, group] : groups_) {
      const auto& [method, input_class, what] = key;
      out << "  " << method << " [" << input_class << "] " << what << ": " << group.count << "x, e.g. case " << method
          << "#" << group.first_index << ": \"" << group.example << "\"\n";
    }
    return out.str();
  }

 private:
  struct Group {
    int count = 0;
    int first_index = 0;
    std::string example;
  };
  std::map<std::tuple<std::string, std::string, std::string>, Group> groups_;
};

// At most 200 bytes of `text`, bytes outside printable ASCII as \xNN.
std::string Printable(const std::string& text) {
  std::string out;
  size_t i = 0;
  for (; i < text.size() && out.size() < 200; ++i) {
    unsigned char b = static_cast<unsigned char>(text[i]);
    if (b >= 0x20 && b < 0x7f) {
      out.push_back(static_cast<char>(b));
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", b);
      out += hex;
    }
  }
  if (i < text.size()) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

bool IsInvalidUtf8Class(InputClass c) {
  return c == InputClass::kInvalidUtf8Top || c == InputClass::kInvalidUtf8Nested ||
         c == InputClass::kInvalidUtf8Repeated || c == InputClass::kInvalidUtf8Map;
}

// True if a violation's field path names `top` (e.g. "rows[2].employee.name" for "rows").
bool NamesField(const std::vector<std::string>& fields, const std::string& top) {
  for (const auto& f : fields) {
    if (f == top || f.rfind(top + ".", 0) == 0 || f.rfind(top + "[", 0) == 0) return true;
  }
  return false;
}

void Check(const MethodDescriptor& method, const HostileCase& c, int index, const Answer& answer, bool parses,
           const Settings& settings, Findings& findings) {
  const std::string name = method.service()->name() + "/" + method.name();
  const auto& status = answer.status;
  const auto code = status.error_code();
  auto fail = [&](const std::string& what, const std::string& example) {
    findings.Add(name, c.input_class, what, index, example);
  };
  const std::string message = Printable(status.error_message());
  const bool internal = code == grpc::StatusCode::INTERNAL || code == grpc::StatusCode::UNKNOWN;
  if (internal) fail(std::string("answered ") + CodeName(code), message);
  if (RefusedByPolicy(status)) fail("refused by the access policy", message);
  if (answer.elapsed > settings.slow) {
    fail("slower than " + std::to_string(settings.slow.count()) + " ms (" + CodeName(code) + ")",
         std::to_string(answer.elapsed.count()) + " ms: " + message);
  }
  if (status.error_message().size() > kMaxMessageBytes) {
    fail(std::string("grpc-message over 1 KiB (") + CodeName(code) + ")", message);
  }
  if (status.error_details().size() >= kMaxDetailsBytes) {
    fail(std::string("details over 16 KiB (") + CodeName(code) + ")",
         std::to_string(status.error_details().size()) + " bytes of details; message: " + message);
  }
  if (!parses && code == grpc::StatusCode::OK) fail("a request protobuf cannot parse answered OK", "");
  // Invalid UTF-8 where the server must read it first (a unary request, a
  // stream's first message) is INVALID_ARGUMENT on that field.
  const bool read_first = !method.client_streaming() || c.invalid_utf8_message == 0;
  if (IsInvalidUtf8Class(c.input_class) && !c.invalid_utf8_path.empty() && read_first && !internal &&
      code != grpc::StatusCode::RESOURCE_EXHAUSTED && code != grpc::StatusCode::UNIMPLEMENTED) {
    const std::string top = c.invalid_utf8_path.substr(0, c.invalid_utf8_path.find('.'));
    if (code != grpc::StatusCode::INVALID_ARGUMENT) {
      fail(std::string("invalid UTF-8 in ") + c.invalid_utf8_path + " answered " + CodeName(code), message);
    } else if (!NamesField(ViolatedFields(status), top)) {
      fail("INVALID_ARGUMENT without a violation on " + top, c.invalid_utf8_path + " had it; message: " + message);
    }
  }
}

// Lines of a service log that are not one JSON object each.
std::vector<std::string> NonJsonLines(const std::string& log) {
  std::vector<std::string> bad;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    google::protobuf::Struct object;
    if (!google::protobuf::util::JsonStringToMessage(line, &object).ok()) bad.push_back(line.substr(0, 200));
  }
  return bad;
}

class HostileClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stack_.Start(Service::kRegistry));
    // An election and an employee, so that some random ids name real things.
    auto registry = v1::RegistryService::NewStub(stack_.channel(Service::kRegistry));
    v1::UpsertElectionRequest election;
    election.set_request_id("hostile-seed-election");
    auto json = ReadFile(NETRA_SOURCE_DIR "/deploy/local/elections/pemilu-2024.json");
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, election.mutable_election()).ok());
    v1::UpsertElectionResponse election_response;
    auto status = v1::RegistryService::NewStub(stack_.channel(Service::kRegistry, kAdmin))
                      ->UpsertElection(MakeClientContext(10s).get(), election, &election_response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    known_ids_.push_back(election.election().election_id());
    v1::UpsertEmployeeRequest employee;
    employee.set_request_id("hostile-seed-employee");
    *employee.mutable_employee() = SemarangEmployee(0);
    v1::UpsertEmployeeResponse employee_response;
    status = registry->UpsertEmployee(MakeClientContext(10s).get(), employee, &employee_response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    known_ids_.insert(known_ids_.end(), {employee_response.employee().employee_id(), employee.employee().nip(), "33.74",
                                         "walikota:33.74", "PEMKOT-SMG"});
    ASSERT_TRUE(stack_.Start(Service::kComplaint));
    ASSERT_TRUE(stack_.Start(Service::kSanction));
  }

  // The stack's process serving `service`, asked by gRPC reflection.
  std::optional<Service> ProcessServing(const std::string& service) {
    for (Service s : {Service::kRegistry, Service::kComplaint, Service::kSanction}) {
      auto listed = ListServicesByReflection(stack_.channel(s), 5s);
      if (listed && std::find(listed->begin(), listed->end(), service) != listed->end()) return s;
    }
    return std::nullopt;
  }

  NetraStack stack_;
  std::vector<std::string> known_ids_;
};

TEST_F(HostileClientTest, EveryRpcAnswersMalformedRequestsPromptlyAndCorrectly) {
  const Settings settings;
  const auto services = NetraServices();
  ASSERT_GE(services.size(), 3u);
  // The file the services enforce (the stack starts them with its default, this one).
  const auto policy = AccessPolicy::Parse(ReadFile(NETRA_SOURCE_DIR "/deploy/access-policy.json"));
  ASSERT_TRUE(policy.ok()) << policy.error().message;
  std::map<std::string, std::string> callers;  // method -> the identity that called it
  Findings findings;
  // Calls by status code: in all, by method, by input class.
  std::map<std::string, std::map<std::string, int>> codes_by_method, codes_by_class;
  std::map<std::string, int> codes;
  int calls = 0, methods = 0;
  std::optional<std::string> died;
  const auto start = Clock::now();

  for (const auto* service : services) {
    auto process = ProcessServing(service->full_name());
    if (!process) {
      ADD_FAILURE() << service->full_name() << " is served by none of the three processes";
      continue;
    }
    for (int m = 0; m < service->method_count() && !died; ++m) {
      const MethodDescriptor& method = *service->method(m);
      const auto classes = hostile::ClassesFor(method);
      ++methods;
      const std::string caller = AllowedCaller(policy.value(), method);
      if (caller.empty()) {
        ADD_FAILURE() << "no identity the access policy allows to call " << method.full_name();
        continue;
      }
      callers[service->name() + "/" + method.name()] = caller;
      grpc::GenericStub stub(HostileChannel(stack_.address(*process), stack_.pki().Credentials(caller)));
      for (int i = 0; i < settings.cases_per_method; ++i) {
        const std::string case_name = method.full_name() + "#" + std::to_string(i);
        if (!settings.only.empty() && settings.only != case_name) continue;
        if (Clock::now() - start > settings.budget) {
          ADD_FAILURE() << "time budget of " << settings.budget.count() << " s spent at " << case_name;
          died = "budget";
          break;
        }
        const uint64_t case_seed = hostile::CaseSeed(settings.seed, method.full_name(), static_cast<uint64_t>(i));
        const InputClass input_class = classes[static_cast<size_t>(i) % classes.size()];
        HostileCase c = hostile::Generate(method, input_class, case_seed, known_ids_);
        const bool parses = hostile::AllMessagesParse(method, c);
        std::mt19937_64 rng(case_seed);
        Answer answer = Send(stub, method, c, rng);
        Check(method, c, i, answer, parses, settings, findings);
        ++calls;
        ++codes[CodeName(answer.status.error_code())];
        ++codes_by_method[service->name() + "/" + method.name()][CodeName(answer.status.error_code())];
        ++codes_by_class[hostile::Name(c.input_class)][CodeName(answer.status.error_code())];
      }
      // A process that died takes every later answer with it: stop and say after which method.
      for (Service s : {Service::kRegistry, Service::kComplaint, Service::kSanction}) {
        if (!stack_.process(s).Running()) {
          died = NetraStack::Name(s);
          ADD_FAILURE() << "netra-" << *died << " died during the cases of " << method.full_name() << " (seed "
                        << settings.seed << "); its log ends:\n"
                        << stack_.log(s).substr(stack_.log(s).size() > 4000 ? stack_.log(s).size() - 4000 : 0);
        }
      }
    }
  }
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);

  std::ostringstream summary;
  summary << calls << " calls to " << methods << " methods in " << elapsed.count() << " ms (seed " << settings.seed
          << ", " << settings.cases_per_method << " cases per method); by status:";
  for (const auto& [code, n] : codes) summary << " " << code << "=" << n;
  summary << "\n";
  for (const auto* table : {&codes_by_class, &codes_by_method}) {
    for (const auto& [name, by_code] : *table) {
      summary << "  " << name;
      if (auto caller = callers.find(name); caller != callers.end()) summary << " (as " << caller->second << ")";
      summary << ":";
      for (const auto& [code, n] : by_code) summary << " " << code << "=" << n;
      summary << "\n";
    }
  }
  std::cout << summary.str();
  RecordProperty("seed", std::to_string(settings.seed));
  RecordProperty("calls", calls);
  RecordProperty("elapsed_ms", static_cast<int>(elapsed.count()));
  for (const auto& [code, n] : codes) RecordProperty("status_" + code, n);

  if (!findings.empty()) ADD_FAILURE() << findings.Report(settings.seed);

  for (Service s : {Service::kRegistry, Service::kComplaint, Service::kSanction}) {
    const std::string name = NetraStack::Name(s);
    const std::string log = stack_.log(s);
    EXPECT_TRUE(stack_.process(s).Running()) << "netra-" << name << " is not running; its log ends:\n"
                                             << log.substr(log.size() > 3000 ? log.size() - 3000 : 0);
    EXPECT_EQ(CheckHealth(*stack_.channel(s), "", 2s), HealthStatus::kServing) << "netra-" << name << " not SERVING";
    auto bad = NonJsonLines(stack_.log(s));
    EXPECT_TRUE(bad.empty()) << "netra-" << name << "'s log has " << bad.size() << " lines that are not JSON, e.g.:\n"
                             << (bad.empty() ? "" : bad.front()) << (bad.size() > 1 ? "\n" + bad[1] : "");
  }
}

}  // namespace
}  // namespace netra::testing
