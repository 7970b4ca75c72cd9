// Tests for common/sealed_box.{h,cc}: AES-256-GCM exactly (a published
// vector opens), a round trip, and every kind of tampering refused: another
// key, an unknown key id, a changed ciphertext, tag or nonce, another
// associated data. Rotation: a value sealed under an older key still opens.
#include "common/sealed_box.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/digest.h"

namespace netra {
namespace {

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

const std::string kOld(32, 'o');
const std::string kNew(32, 'n');

// McGrew and Viega, "The Galois/Counter Mode of Operation", test case 16 (AES-256).
TEST(SealedBoxTest, OpensThePublishedAes256GcmVector) {
  const std::string key = Unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  SealedBox box({key});
  SealedValue v{SealedBox::KeyIdOf(key), Unhex("cafebabefacedbaddecaf888"),
                Unhex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838"
                      "c5f61e6393ba7a0abcc9f662"),
                Unhex("76fc6ece0f4e1768cddf8853bb2d551b")};
  auto opened = box.Open(v, Unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2"));
  ASSERT_TRUE(opened);
  EXPECT_EQ(HexOf(*opened),
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de6"
            "57ba637b39");
}

TEST(SealedBoxTest, RoundTripsUnderTheFirstKeyWithAFreshNonceEachTime) {
  SealedBox box({kNew, kOld});
  const SealedValue a = box.Seal("Siti Aminah, Jl. Melati 3", "c-1");
  const SealedValue b = box.Seal("Siti Aminah, Jl. Melati 3", "c-1");
  EXPECT_EQ(a.key_id, SealedBox::KeyIdOf(kNew));
  EXPECT_EQ(a.key_id, box.sealing_key_id());
  EXPECT_EQ(a.nonce.size(), SealedBox::kNonceBytes);
  EXPECT_EQ(a.tag.size(), SealedBox::kTagBytes);
  EXPECT_NE(a.nonce, b.nonce);
  EXPECT_NE(a.ciphertext, b.ciphertext);
  EXPECT_EQ(a.ciphertext.find("Siti"), std::string::npos);
  EXPECT_EQ(box.Open(a, "c-1"), "Siti Aminah, Jl. Melati 3");
  EXPECT_EQ(box.Open(box.Seal("", "c-1"), "c-1"), "");
}

TEST(SealedBoxTest, AValueSealedUnderAnOlderKeyOpensAfterRotation) {
  const SealedValue old = SealedBox({kOld}).Seal("reporter", "c-1");
  SealedBox rotated({kNew, kOld});
  EXPECT_EQ(rotated.Open(old, "c-1"), "reporter");
  EXPECT_EQ(rotated.Seal("reporter", "c-1").key_id, SealedBox::KeyIdOf(kNew));
  // Once the old key is removed its values no longer open.
  EXPECT_FALSE(SealedBox({kNew}).Open(old, "c-1"));
}

TEST(SealedBoxTest, RefusesTamperingAnotherKeyAndAnotherRecord) {
  SealedBox box({kNew});
  const SealedValue sealed = box.Seal("reporter identity", "c-1");
  EXPECT_FALSE(box.Open(sealed, "c-2")) << "moved to another complaint";
  SealedValue v = sealed;
  v.ciphertext[0] ^= 1;
  EXPECT_FALSE(box.Open(v, "c-1")) << "ciphertext";
  v = sealed;
  v.tag[15] ^= 1;
  EXPECT_FALSE(box.Open(v, "c-1")) << "tag";
  v = sealed;
  v.tag.resize(8);
  EXPECT_FALSE(box.Open(v, "c-1")) << "short tag";
  v = sealed;
  v.nonce[0] ^= 1;
  EXPECT_FALSE(box.Open(v, "c-1")) << "nonce";
  v = sealed;
  v.key_id = "0000000000000000";
  EXPECT_FALSE(box.Open(v, "c-1")) << "unknown key id";
  v = sealed;
  v.key_id = SealedBox::KeyIdOf(kOld);
  SealedBox both({kNew, kOld});
  EXPECT_FALSE(both.Open(v, "c-1")) << "labelled with another configured key";
  EXPECT_FALSE(SealedBox({kOld}).Open(sealed, "c-1")) << "a box without the key";
}

TEST(SealedBoxTest, MacsAreKeyedPerPurposeAndKey) {
  SealedBox box({kNew, kOld});
  const auto a = box.Mac(SealedBox::KeyIdOf(kNew), "contact", "0812");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->size(), 32u);
  EXPECT_EQ(box.Mac(SealedBox::KeyIdOf(kNew), "contact", "0812"), a);
  EXPECT_NE(box.Mac(SealedBox::KeyIdOf(kNew), "receipt", "0812"), a);
  EXPECT_NE(box.Mac(SealedBox::KeyIdOf(kOld), "contact", "0812"), a);
  EXPECT_FALSE(box.Mac("0000000000000000", "contact", "0812"));
}

TEST(SealedBoxTest, KeyFilesHoldExactly32BytesAndErrorsNeverShowTheKey) {
  const auto dir = std::filesystem::temp_directory_path() / ("sealed_box_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string good = (dir / "good.key").string(), shorter = (dir / "short.key").string();
  std::ofstream(good, std::ios::binary) << kNew;
  std::ofstream(shorter, std::ios::binary) << "secret-but-short";
  std::string error;
  EXPECT_EQ(SealedBox::LoadKey(good, &error), kNew);
  EXPECT_FALSE(SealedBox::LoadKey(shorter, &error));
  EXPECT_NE(error.find("16 bytes"), std::string::npos) << error;
  EXPECT_EQ(error.find("secret"), std::string::npos) << error;
  EXPECT_FALSE(SealedBox::LoadKey((dir / "missing.key").string(), &error));
  EXPECT_THROW(SealedBox({std::string(16, 'k')}), std::invalid_argument);
  EXPECT_THROW(SealedBox(std::vector<std::string>{}), std::invalid_argument);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace netra
