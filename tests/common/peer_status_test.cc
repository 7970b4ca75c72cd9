#include "common/peer_status.h"

#include <gtest/gtest.h>

#include "common/rpc.h"

namespace netra {
namespace {

using grpc::StatusCode;

TEST(PeerStatusTest, OnlyAnswersThatMayChangeByThemselvesAreTransient) {
  for (auto code : {StatusCode::UNAVAILABLE, StatusCode::DEADLINE_EXCEEDED, StatusCode::RESOURCE_EXHAUSTED,
                    StatusCode::ABORTED, StatusCode::CANCELLED, StatusCode::INTERNAL, StatusCode::UNKNOWN,
                    StatusCode::DATA_LOSS}) {
    EXPECT_TRUE(IsTransient(code)) << code;
  }
  for (auto code : {StatusCode::INVALID_ARGUMENT, StatusCode::NOT_FOUND, StatusCode::ALREADY_EXISTS,
                    StatusCode::PERMISSION_DENIED, StatusCode::FAILED_PRECONDITION, StatusCode::OUT_OF_RANGE,
                    StatusCode::UNIMPLEMENTED, StatusCode::UNAUTHENTICATED}) {
    EXPECT_FALSE(IsTransient(code)) << code;
  }
}

TEST(PeerStatusTest, APeersAnswerKeepsItsMeaning) {
  const PeerCall call{"registry", "employee", "199001012015011001", "subject_employee_id"};
  EXPECT_EQ(FromPeerStatus(grpc::Status(StatusCode::UNAVAILABLE, "connect failed"), call).kind,
            Error::Kind::kUnavailable);
  EXPECT_EQ(FromPeerStatus(grpc::Status(StatusCode::DEADLINE_EXCEEDED, ""), call).kind, Error::Kind::kUnavailable);

  Error missing = FromPeerStatus(grpc::Status(StatusCode::NOT_FOUND, "no such employee"), call);
  EXPECT_EQ(missing.kind, Error::Kind::kNotFound);
  EXPECT_EQ(missing.resource_type, "employee");
  EXPECT_EQ(missing.resource_name, "199001012015011001");

  Error invalid = FromPeerStatus(grpc::Status(StatusCode::INVALID_ARGUMENT, "employee_id: bad check digit"), call);
  ASSERT_EQ(invalid.kind, Error::Kind::kInvalidArgument);
  ASSERT_EQ(invalid.violations.size(), 1u);
  EXPECT_EQ(invalid.violations.list()[0].field, "subject_employee_id");
  EXPECT_NE(invalid.violations.list()[0].description.find("bad check digit"), std::string::npos);

  EXPECT_EQ(FromPeerStatus(grpc::Status(StatusCode::ALREADY_EXISTS, ""), call).kind, Error::Kind::kAlreadyExists);
  EXPECT_EQ(FromPeerStatus(grpc::Status(StatusCode::PERMISSION_DENIED, ""), call).kind, Error::Kind::kInternal);
}

TEST(PeerStatusTest, APeersPreconditionFailureKeepsItsStateAndAllowedActions) {
  grpc::Status peer = FailedPrecondition("DECIDED", "RECORD_DECISION", {"RECORD_APPEAL"});
  Error e = FromPeerStatus(peer, {"sanction", "case", "case-1", "case_id"});
  ASSERT_EQ(e.kind, Error::Kind::kFailedPrecondition);
  EXPECT_EQ(e.state, "DECIDED");
  EXPECT_EQ(e.action, "RECORD_DECISION");
  EXPECT_EQ(e.allowed, std::vector<std::string>{"RECORD_APPEAL"});
}

TEST(PeerStatusTest, DeliveriesRetryAnOutageAndParkARefusal) {
  EXPECT_TRUE(DeliveryOf(grpc::Status::OK, "OpenCase").ok);
  auto outage = DeliveryOf(grpc::Status(StatusCode::UNAVAILABLE, "connection refused"), "OpenCase");
  EXPECT_FALSE(outage.ok);
  EXPECT_FALSE(outage.refused);
  EXPECT_EQ(outage.error, "OpenCase: Unavailable: connection refused");
  auto refusal = DeliveryOf(grpc::Status(StatusCode::NOT_FOUND, "complaint c-1 not found"), "RecordOutcome");
  EXPECT_FALSE(refusal.ok);
  EXPECT_TRUE(refusal.refused);
  EXPECT_EQ(refusal.error, "RecordOutcome: NotFound: complaint c-1 not found");
  // A peer's long message is cut, so last_error and the log line stay bounded.
  auto long_one = DeliveryOf(grpc::Status(StatusCode::INVALID_ARGUMENT, std::string(5000, 'x')), "OpenCase");
  EXPECT_LT(long_one.error.size(), 400u);
}

}  // namespace
}  // namespace netra
