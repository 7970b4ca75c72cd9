#include "common/state_table.h"

#include <gtest/gtest.h>

namespace netra {
namespace {

enum class Door { kOpen, kClosed, kLocked };
enum class Act { kClose, kOpen, kLock, kUnlock };

constexpr StateTransition<Door, Act> kDoorRows[] = {
    {Door::kOpen, Act::kClose, Door::kClosed},
    {Door::kClosed, Act::kOpen, Door::kOpen},
    {Door::kClosed, Act::kLock, Door::kLocked},
};
constexpr StateTable<Door, Act> kDoor{kDoorRows};

TEST(StateTableTest, NextFollowsOnlyTheRowsOfTheTable) {
  EXPECT_EQ(kDoor.Next(Door::kOpen, Act::kClose), Door::kClosed);
  EXPECT_EQ(kDoor.Next(Door::kClosed, Act::kLock), Door::kLocked);
  EXPECT_EQ(kDoor.Next(Door::kOpen, Act::kLock), std::nullopt);
  EXPECT_EQ(kDoor.Next(Door::kLocked, Act::kUnlock), std::nullopt);
  static_assert(kDoor.Next(Door::kClosed, Act::kOpen) == Door::kOpen);
}

TEST(StateTableTest, AllowedActionsAreInTableOrderAndTerminalStatesHaveNone) {
  EXPECT_EQ(kDoor.Allowed(Door::kClosed), (std::vector<Act>{Act::kOpen, Act::kLock}));
  EXPECT_TRUE(kDoor.Allowed(Door::kLocked).empty());
  EXPECT_TRUE(kDoor.IsTerminal(Door::kLocked));
  EXPECT_FALSE(kDoor.IsTerminal(Door::kOpen));
  EXPECT_EQ(kDoor.rows().size(), 3u);
}

}  // namespace
}  // namespace netra
