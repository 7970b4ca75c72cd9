// Tests for common/rpc.{h,cc}: domain errors become gRPC statuses whose details
// programs can read (netra.v1.ErrorStatus in the status details).
#include "common/rpc.h"
#include "common/proto_text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "netra/v1/complaint.pb.h"
#include "netra/v1/errors.pb.h"

namespace netra {
namespace {

// The ErrorStatus a client decodes from the status details, checked against the status itself.
netra::v1::ErrorStatus Details(const grpc::Status& status) {
  netra::v1::ErrorStatus decoded;
  EXPECT_TRUE(decoded.ParseFromString(status.error_details())) << "details do not parse";
  EXPECT_EQ(decoded.code(), status.error_code());
  EXPECT_EQ(decoded.message(), status.error_message());
  return decoded;
}

netra::v1::BadRequest BadRequestOf(const grpc::Status& status) {
  auto decoded = Details(status);
  netra::v1::BadRequest bad_request;
  EXPECT_EQ(decoded.details_size(), 1);
  if (decoded.details_size() == 1) {
    EXPECT_EQ(decoded.details(0).type_url(), "type.googleapis.com/netra.v1.BadRequest");
    EXPECT_TRUE(decoded.details(0).UnpackTo(&bad_request));
  }
  return bad_request;
}

TEST(InvalidArgumentTest, CarriesEveryViolationAsABadRequest) {
  Violations v;
  v.Add("employee.nip", ViolationReason::kInvalidFormat, "must be 18 digits");
  v.Add("rows[3].region_code", ViolationReason::kNotFound, "no such region");
  v.Add("page_size", ViolationReason::kOutOfRange, "must not be negative");
  grpc::Status status = InvalidArgument(v);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto bad_request = BadRequestOf(status);
  ASSERT_EQ(bad_request.field_violations_size(), 3);
  EXPECT_EQ(bad_request.field_violations(0).field(), "employee.nip");
  EXPECT_EQ(bad_request.field_violations(0).reason(), netra::v1::FieldViolation::REASON_INVALID_FORMAT);
  EXPECT_EQ(bad_request.field_violations(0).description(), "must be 18 digits");
  EXPECT_EQ(bad_request.field_violations(1).field(), "rows[3].region_code");
  EXPECT_EQ(bad_request.field_violations(1).reason(), netra::v1::FieldViolation::REASON_NOT_FOUND);
  EXPECT_EQ(bad_request.field_violations(2).field(), "page_size");
  EXPECT_EQ(bad_request.field_violations(2).reason(), netra::v1::FieldViolation::REASON_OUT_OF_RANGE);

  // The message is for people: it names every field.
  for (const char* field : {"employee.nip", "rows[3].region_code", "page_size"}) {
    EXPECT_NE(status.error_message().find(field), std::string::npos) << status.error_message();
  }
  EXPECT_NE(status.error_message().find("must be 18 digits"), std::string::npos);
}

TEST(InvalidArgumentTest, EveryReasonMapsToItsProtoValueByName) {
  const std::vector<ViolationReason> reasons = {
      ViolationReason::kRequired,  ViolationReason::kInvalidFormat, ViolationReason::kOutOfRange,
      ViolationReason::kTooLong,   ViolationReason::kNotFound,      ViolationReason::kInconsistent,
      ViolationReason::kUnsupported};
  for (auto reason : reasons) {
    auto bad_request = BadRequestOf(InvalidArgument("f", reason, "d"));
    ASSERT_EQ(bad_request.field_violations_size(), 1);
    EXPECT_EQ(netra::v1::FieldViolation::Reason_Name(bad_request.field_violations(0).reason()),
              "REASON_" + std::string(ReasonName(reason)));
  }
}

TEST(FailedPreconditionTest, NamesStateActionAndAllowedActions) {
  grpc::Status status = FailedPrecondition("COMPLAINT_STATUS_RECEIVED", "COMPLAINT_ACTION_FORWARD",
                                           {"COMPLAINT_ACTION_REGISTER", "COMPLAINT_ACTION_REJECT"});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  auto decoded = Details(status);
  ASSERT_EQ(decoded.details_size(), 1);
  EXPECT_EQ(decoded.details(0).type_url(), "type.googleapis.com/netra.v1.PreconditionFailure");
  netra::v1::PreconditionFailure failure;
  ASSERT_TRUE(decoded.details(0).UnpackTo(&failure));
  EXPECT_EQ(failure.current_state(), "COMPLAINT_STATUS_RECEIVED");
  EXPECT_EQ(failure.attempted_action(), "COMPLAINT_ACTION_FORWARD");
  ASSERT_EQ(failure.allowed_actions_size(), 2);
  EXPECT_EQ(failure.allowed_actions(0), "COMPLAINT_ACTION_REGISTER");
  EXPECT_EQ(failure.allowed_actions(1), "COMPLAINT_ACTION_REJECT");
  for (const char* word : {"COMPLAINT_STATUS_RECEIVED", "COMPLAINT_ACTION_FORWARD", "COMPLAINT_ACTION_REGISTER",
                           "COMPLAINT_ACTION_REJECT"}) {
    EXPECT_NE(status.error_message().find(word), std::string::npos) << status.error_message();
  }
}

TEST(FailedPreconditionTest, TerminalStateSaysNothingIsAllowed) {
  grpc::Status status = FailedPrecondition("CASE_STATUS_DECIDED", "RecordDecision", {});
  auto decoded = Details(status);
  netra::v1::PreconditionFailure failure;
  ASSERT_EQ(decoded.details_size(), 1);
  ASSERT_TRUE(decoded.details(0).UnpackTo(&failure));
  EXPECT_EQ(failure.allowed_actions_size(), 0);
  EXPECT_NE(status.error_message().find("none"), std::string::npos) << status.error_message();
}

TEST(ToStatusTest, EveryKindMapsToItsCode) {
  Violations v;
  v.Add("tracking_code", ViolationReason::kRequired, "is required");
  struct Case {
    Error error;
    grpc::StatusCode code;
  };
  const std::vector<Case> cases = {
      {Error::Invalid(v), grpc::StatusCode::INVALID_ARGUMENT},
      {Error::NotFound("tracking_code", "X", "no complaint has tracking code X"), grpc::StatusCode::NOT_FOUND},
      {Error::AlreadyExists("employee", "199001012015031001"), grpc::StatusCode::ALREADY_EXISTS},
      {Error::Precondition("S", "A", {"B"}), grpc::StatusCode::FAILED_PRECONDITION},
      {Error::Aborted("complaint", "c-1", 3, 4), grpc::StatusCode::ABORTED},
      {Error::Unavailable("registry is down"), grpc::StatusCode::UNAVAILABLE},
      {Error::Internal("boom"), grpc::StatusCode::INTERNAL},
  };
  for (const auto& c : cases) {
    grpc::Status status = ToStatus(c.error);
    EXPECT_EQ(status.error_code(), c.code) << static_cast<int>(c.error.kind);
  }
  // Messages for people pass through for the kinds that are the caller's business.
  EXPECT_EQ(ToStatus(Error::NotFound("tracking_code", "X", "no complaint has tracking code X")).error_message(),
            "no complaint has tracking code X");
  EXPECT_EQ(ToStatus(Error::NotFound("region", "33.98")).error_message(), "region 33.98 not found");
  // NOT_FOUND names the resource; ABORTED carries both versions.
  netra::v1::ResourceInfo info;
  auto not_found = Details(ToStatus(Error::NotFound("region", "33.98")));
  ASSERT_EQ(not_found.details_size(), 1);
  ASSERT_TRUE(not_found.details(0).UnpackTo(&info));
  EXPECT_EQ(info.resource_type(), "region");
  EXPECT_EQ(info.resource_name(), "33.98");
  netra::v1::VersionConflict conflict;
  auto aborted = Details(ToStatus(Error::Aborted("complaint", "c-1", 3, 4)));
  ASSERT_EQ(aborted.details_size(), 1);
  ASSERT_TRUE(aborted.details(0).UnpackTo(&conflict));
  EXPECT_EQ(conflict.expected_version(), 3);
  EXPECT_EQ(conflict.current_version(), 4);
  EXPECT_EQ(ToStatus(Error::Unavailable("registry is down")).error_message(), "registry is down");
  // Invalid and precondition errors keep their machine-readable details.
  EXPECT_EQ(BadRequestOf(ToStatus(Error::Invalid(v))).field_violations(0).field(), "tracking_code");
  auto precondition = Details(ToStatus(Error::Precondition("S", "A", {"B"})));
  netra::v1::PreconditionFailure failure;
  ASSERT_EQ(precondition.details_size(), 1);
  ASSERT_TRUE(precondition.details(0).UnpackTo(&failure));
  EXPECT_EQ(failure.current_state(), "S");
}

TEST(ToStatusTest, InternalNeverLeaksTheInternalMessage) {
  grpc::Status status = ToStatus(Error::Internal("SQLITE_CORRUPT at /var/lib/netra/complaint.db page 7"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(status.error_message().find("SQLITE"), std::string::npos) << status.error_message();
  EXPECT_EQ(status.error_message().find("/var/lib"), std::string::npos) << status.error_message();
  EXPECT_EQ(status.error_details().find("SQLITE"), std::string::npos);
  EXPECT_FALSE(status.error_message().empty());
}


// A request with thousands of faults still gets a small, prompt answer: the
// first --max-field-violations listed, the rest counted.
TEST(InvalidArgumentTest, ListsTheFirstViolationsAndCountsTheRest) {
  Violations v;
  for (int i = 0; i < 5000; ++i) {
    v.Add("rows[" + std::to_string(i) + "].nik", ViolationReason::kInvalidFormat, "must be 16 digits");
  }
  EXPECT_EQ(v.size(), 5000u);
  EXPECT_EQ(v.list().size(), Violations::kMaxKept);

  grpc::Status status = InvalidArgument(v);
  auto bad_request = BadRequestOf(status);
  ASSERT_EQ(bad_request.field_violations_size(), 50);
  EXPECT_EQ(bad_request.field_violations(0).field(), "rows[0].nik");
  EXPECT_EQ(bad_request.field_violations(49).field(), "rows[49].nik");
  EXPECT_EQ(bad_request.omitted_violation_count(), 4950);
  EXPECT_LE(status.error_message().size(), kMaxStatusMessageBytes);
  EXPECT_NE(status.error_message().find("(and 4950 more)"), std::string::npos) << status.error_message();

  SetMaxFieldViolations(3);
  auto three = BadRequestOf(InvalidArgument(v));
  SetMaxFieldViolations(50);
  EXPECT_EQ(three.field_violations_size(), 3);
  EXPECT_EQ(three.omitted_violation_count(), 4997);
}

TEST(InvalidArgumentTest, CutsLongPathsAndDescriptionsSoTheAnswerStaysSmall) {
  Violations v;
  v.Add(std::string(100000, 'f'), ViolationReason::kNotFound, "no region " + std::string(100000, 'x'));
  grpc::Status status = InvalidArgument(v);
  auto bad_request = BadRequestOf(status);
  ASSERT_EQ(bad_request.field_violations_size(), 1);
  EXPECT_LE(bad_request.field_violations(0).field().size(), 256u);
  EXPECT_LE(bad_request.field_violations(0).description().size(), 256u);
  EXPECT_LE(status.error_message().size(), kMaxStatusMessageBytes);
  EXPECT_LT(status.error_details().size(), 2048u);
}

TEST(BoundedTextTest, CutsOnACharacterBoundary) {
  EXPECT_EQ(BoundedText("short", 10), "short");
  // "é" is two bytes: a cut that would split it backs up before it.
  std::string text = "abcdefg\xC3\xA9hij";
  std::string cut = BoundedText(text, 11);
  EXPECT_EQ(cut, "abcdefg...");
  EXPECT_GE(Utf8Length(cut), 0);
  EXPECT_LE(BoundedText(std::string(5000, 'a')).size(), kMaxStatusMessageBytes);
}

TEST(StatusTest, PlainMessagesAreBoundedToo) {
  EXPECT_LE(NotFound(std::string(10000, 'n')).error_message().size(), kMaxStatusMessageBytes);
  EXPECT_LE(Unavailable(std::string(10000, 'u')).error_message().size(), kMaxStatusMessageBytes);
  Error error = Error::NotFound("region", std::string(10000, 'r'));
  EXPECT_LE(ToStatus(error).error_message().size(), kMaxStatusMessageBytes);
}

// Invalid UTF-8 parses (the check moved from protobuf to the handlers) and is
// named by its path, nested and repeated fields too.
TEST(CheckRequestTextTest, NamesEveryStringFieldThatIsNotUtf8) {
  netra::v1::SubmitComplaintRequest request;
  request.set_request_id("r-1");
  request.mutable_reporter()->set_name("NAME_");
  request.add_evidence_ids("ev-good");
  request.add_evidence_ids("EVID_");
  std::string wire = request.SerializeAsString();
  for (std::string marker : {"NAME_", "EVID_"}) {
    auto at = wire.find(marker);
    ASSERT_NE(at, std::string::npos);
    wire[at + 4] = '\xFF';  // same length, no longer UTF-8
  }
  netra::v1::SubmitComplaintRequest parsed;
  TakeInvalidUtf8Seen();
  ASSERT_TRUE(parsed.ParseFromString(request.SerializeAsString()));
  EXPECT_FALSE(TakeInvalidUtf8Seen());
  ASSERT_TRUE(parsed.ParseFromString(wire)) << "a string that is not UTF-8 must still parse";
  EXPECT_TRUE(TakeInvalidUtf8Seen()) << "and the parse says it met one";
  EXPECT_FALSE(TakeInvalidUtf8Seen());

  grpc::Status status = CheckRequestText(parsed);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto bad_request = BadRequestOf(status);
  ASSERT_EQ(bad_request.field_violations_size(), 2);
  EXPECT_EQ(bad_request.field_violations(0).field(), "reporter.name");
  EXPECT_EQ(bad_request.field_violations(1).field(), "evidence_ids[1]");
  EXPECT_EQ(bad_request.field_violations(1).reason(), netra::v1::FieldViolation::REASON_INVALID_FORMAT);

  EXPECT_TRUE(CheckRequestText(request).ok());
}

// Histories record how Netra knows who acted: the kind follows the caller.
TEST(ActorOfTest, TheKindSaysHowThePersonIsKnown) {
  std::string why;
  Caller office;
  office.identity = ParseIdentityPath("bawaslu/33.74", &why), office.agency = "bawaslu/33.74";

  Caller verified = office;
  verified.actor = "bawaslu-sso:officer-12", verified.actor_name = "Sri Rahayu", verified.person = Caller::Person::kVerified;
  Actor actor = ActorOf(verified);
  EXPECT_EQ(actor.kind, Actor::Kind::kPerson);
  EXPECT_EQ(actor.id, "bawaslu-sso:officer-12");
  EXPECT_EQ(actor.display_name, "Sri Rahayu");
  EXPECT_EQ(actor.organization, "bawaslu/33.74");

  Caller asserted = office;
  asserted.actor = "officer-12", asserted.person = Caller::Person::kAsserted;
  EXPECT_EQ(ActorOf(asserted).kind, Actor::Kind::kAssertedPerson);

  Caller agency = office;
  agency.actor = "bawaslu/33.74";
  EXPECT_EQ(ActorOf(agency).kind, Actor::Kind::kAgency);

  Caller service;
  service.identity = ParseIdentityPath("svc/complaint", &why), service.agency = "svc/complaint";
  service.actor = "svc:netra-complaint", service.person = Caller::Person::kAsserted;
  EXPECT_EQ(ActorOf(service).kind, Actor::Kind::kService);

  Caller anonymous;
  anonymous.actor = "anonymous";
  EXPECT_EQ(ActorOf(anonymous).kind, Actor::Kind::kPublic);
  EXPECT_EQ(ActorOf(anonymous).organization, "");
}

}  // namespace
}  // namespace netra
