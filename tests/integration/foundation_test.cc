// The foundation against real processes: three services, a real Redis, real
// SQLite files, over real gRPC.
#include <gtest/gtest.h>

#include "tests/integration/netra_stack.h"

namespace netra::testing {
namespace {

TEST(Foundation, AllServicesServe) {
  NetraStack stack;
  ASSERT_TRUE(stack.StartAll());
}

}  // namespace
}  // namespace netra::testing
