// Tests for common/nik.{h,cc}: NikHasher is HMAC-SHA256 exactly (stored
// hashes must keep matching whatever the implementation).
#include "common/nik.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "common/digest.h"

namespace netra {
namespace {

// RFC 4231 test cases 2 (a key shorter than the block) and 6 (longer: hashed first).
TEST(NikHasherTest, IsHmacSha256) {
  EXPECT_EQ(HexOf(NikHasher("Jefe").Hash("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HexOf(NikHasher(std::string(131, '\xaa')).Hash("Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // A 32-byte key (the minimum) and a 64-byte key (exactly one block), on a NIK.
  EXPECT_EQ(HexOf(NikHasher(std::string(32, 'k')).Hash("3201011505900001")),
            "88a1cbe9c0953716bd0d22116a6bf646f2c7e730deafe130f05ef9e9525d1993");
  EXPECT_EQ(HexOf(NikHasher(std::string(64, 'k')).Hash("3201011505900001")),
            "e0c8e6e72aec21585f8aa4643fb5e685ff152e4937b3c158c8f59d510f5dc007");
}

TEST(NikHasherTest, CopiesAndThreadsHashAlike) {
  const NikHasher hasher(std::string(32, 'k'));
  const std::string expected = hasher.Hash("3201011505900001");
  const NikHasher copy = hasher;
  EXPECT_EQ(copy.Hash("3201011505900001"), expected);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (size_t t = 0; t < mismatches.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) mismatches[t] += hasher.Hash("3201011505900001") != expected;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace netra
