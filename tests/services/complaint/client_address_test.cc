// The address the intake rate limits count (services/complaint/client_address.h):
// the connection's, or the last x-forwarded-for entry from the edge proxy only
// (the process-level behaviour is in tests/integration/public_intake_test.cc).
#include "services/complaint/client_address.h"

#include <gtest/gtest.h>

namespace netra::complaint {
namespace {

TEST(ClientAddress, PeerAddressDropsTheSchemeAndThePort) {
  EXPECT_EQ(PeerAddress("ipv4:127.0.0.1:5555"), "127.0.0.1");
  EXPECT_EQ(PeerAddress("ipv6:[::1]:5555"), "::1");
  EXPECT_EQ(PeerAddress("ipv6:[2001:db8::7]:443"), "2001:db8::7");
}

TEST(ClientAddress, OnlyTheLastForwardedEntryCountsAndOnlyAsAnAddress) {
  EXPECT_EQ(LastForwardedAddress("198.51.100.1"), "198.51.100.1");
  EXPECT_EQ(LastForwardedAddress("203.0.113.9, 198.51.100.1"), "198.51.100.1");
  EXPECT_EQ(LastForwardedAddress("203.0.113.9,2001:db8::7 "), "2001:db8::7");
  // What the proxy would never write: nothing, so the connection's own address counts.
  EXPECT_EQ(LastForwardedAddress(""), "");
  EXPECT_EQ(LastForwardedAddress("198.51.100.1, "), "");
  EXPECT_EQ(LastForwardedAddress("198.51.100.1:443"), "");
  EXPECT_EQ(LastForwardedAddress("unknown"), "");
  EXPECT_EQ(LastForwardedAddress(std::string(300, '1')), "");
}

}  // namespace
}  // namespace netra::complaint
