#include "tests/integration/hostile_requests.h"

#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>
#include <google/protobuf/stubs/logging.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <utility>

#include "tests/integration/hostile_wire.h"

namespace netra::testing::hostile {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using namespace wire;  // NOLINT: the encoder is this file's vocabulary

constexpr int kMaxDepth = 8;       // how deep random values go into nested messages
constexpr int kMaxDeepDepth = 40;  // how deep kDeepNesting goes (the schema has no recursion today)
constexpr size_t kStreamMessages = 4;
constexpr size_t kHugeBytes = 3 << 20;  // a huge repeated field stays well under the 8 MiB message limit

// --- the generator -----------------------------------------------------------

class Generator {
 public:
  Generator(InputClass input_class, uint64_t seed, const std::vector<std::string>& known_ids)
      : class_(input_class), rng_(seed), known_ids_(known_ids) {}

  // A message of type `d`; when `target` is given, the field at target[pos]
  // is present and, at the path's end, holds the class's fault.
  std::string Message(const Descriptor* d, int depth, const Path* target = nullptr, size_t pos = 0) {
    std::string out;
    const FieldDescriptor* on_path = target && pos < target->size() ? (*target)[pos] : nullptr;
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      if (f == on_path) continue;  // last, so a oneof keeps it
      if (Emit(f, depth)) Field(out, f, depth);
    }
    if (on_path) TargetField(out, on_path, depth, *target, pos);
    if (class_ == InputClass::kUnknownFields) {
      for (int n = Uniform(1, 3); n > 0; --n) UnknownField(out, d, 2);
    }
    return out;
  }

  // A message that protobuf cannot parse.
  std::string Garbage() {
    switch (Uniform(0, 4)) {
      case 0: return std::string(12, '\xff');  // a varint longer than ten bytes
      case 1: {
        std::string out;
        PutTag(out, 1, kDelimited);
        PutVarint(out, 0xffffffffull);  // a length far past the end
        return out + "abc";
      }
      case 2: {
        std::string out;
        PutTag(out, Uniform(1, 20), 7);  // no wire type 7
        return out;
      }
      case 3: {
        std::string out;
        PutTag(out, 0, kVarint);  // field number 0
        PutVarint(out, 1);
        return out;
      }
      default: return std::string("\x0b", 1);  // a group start that never ends
    }
  }

  // Random bytes; usually not a valid message, sometimes by chance one.
  std::string RandomBytes(size_t max) {
    std::string out(static_cast<size_t>(Uniform(1, static_cast<int64_t>(max))), '\0');
    for (auto& c : out) c = static_cast<char>(Uniform(0, 255));
    return out;
  }

  int64_t Uniform(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Uniform(0, static_cast<int64_t>(v.size()) - 1))];
  }

  std::string InvalidUtf8() {
    // A lone byte, a bad continuation, a truncated sequence, a UTF-16 surrogate,
    // past U+10FFFF, overlong forms, a stray continuation, a five-byte form.
    static const std::vector<std::string> kBad = {"\xff",         "\xfe\xfe",
                                                  "\xc3\x28",     "\xe2\x82",
                                                  "\xed\xa0\x80", "\xf4\x90\x80\x80",
                                                  "\xc0\xaf",     "\xe0\x80\xaf",
                                                  "\x80",         "\xf8\x88\x80\x80\x80"};
    static const std::vector<std::string> kAround = {"", "Siti ", "33.74", "a", "\xc3\xa9t\xc3\xa9 "};
    return Pick(kAround) + Pick(kBad) + Pick(kAround);
  }

 private:
  bool Emit(const FieldDescriptor* f, int depth) {
    switch (class_) {
      case InputClass::kUnknownEnums:
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) return true;
        break;
      case InputClass::kExtremeNumbers:
        if (!IsMessage(f) && f->cpp_type() != FieldDescriptor::CPPTYPE_STRING) return true;
        break;
      case InputClass::kRandomIds:
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING && IdLike(f)) return true;
        return IsMessage(f) ? depth < kMaxDepth && Chance(0.5) : Chance(0.2);
      case InputClass::kDeepNesting:
        if (IsMessage(f)) return depth < kMaxDeepDepth;
        break;
      default: break;
    }
    if (IsMessage(f) && depth >= kMaxDepth) return false;
    return Chance(depth == 0 ? 0.7 : 0.5);
  }

  // One field (all of a repeated field's elements) with the class's values.
  void Field(std::string& out, const FieldDescriptor* f, int depth) {
    int count = 1;
    if (f->is_repeated()) count = class_ == InputClass::kDeepNesting ? 1 : static_cast<int>(Uniform(0, 3));
    if (f->is_packable() && f->is_repeated() && count > 0 && Chance(0.5)) {
      std::string packed;
      for (int i = 0; i < count; ++i) ScalarPayload(packed, f);
      PutDelimited(out, f->number(), packed);
      return;
    }
    for (int i = 0; i < count; ++i) Element(out, f, depth);
  }

  // One element of `f`, tag included.
  void Element(std::string& out, const FieldDescriptor* f, int depth) {
    if (class_ == InputClass::kWrongWireTypes && Chance(0.4)) {
      WrongWireType(out, f);
      return;
    }
    if (IsMessage(f)) {
      PutDelimited(out, f->number(), Message(f->message_type(), depth + 1));
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      PutDelimited(out, f->number(), IsString(f) ? Text(f) : Bytes());
    } else {
      PutTag(out, f->number(), WireTypeOf(f));
      ScalarPayload(out, f);
    }
  }

  void TargetField(std::string& out, const FieldDescriptor* f, int depth, const Path& target, size_t pos) {
    const bool leaf = pos + 1 == target.size();
    if (leaf && class_ == InputClass::kHugeRepeated) {
      HugeRepeated(out, f, depth);
      return;
    }
    auto fault = [&] {
      if (!leaf) {
        PutDelimited(out, f->number(), Message(f->message_type(), depth + 1, &target, pos + 1));
      } else if (class_ == InputClass::kOversizeStrings) {
        PutDelimited(out, f->number(), Oversize(IsString(f)));
      } else {
        PutDelimited(out, f->number(), InvalidUtf8());
      }
    };
    if (!f->is_repeated()) {
      fault();
      return;
    }
    // The fault among ordinary elements, at a random index.
    int before = static_cast<int>(Uniform(0, 2)), after = static_cast<int>(Uniform(0, 2));
    for (int i = 0; i < before; ++i) Element(out, f, depth);
    fault();
    for (int i = 0; i < after; ++i) Element(out, f, depth);
  }

  void HugeRepeated(std::string& out, const FieldDescriptor* f, int depth) {
    if (IsMessage(f)) {
      // Small elements: a few fields each.
      int n = static_cast<int>(Pick(std::vector<int64_t>{2'000, 10'001, 20'000}));
      InputClass saved = class_;
      class_ = InputClass::kRandomIds;
      for (int i = 0; i < n && out.size() < kHugeBytes; ++i) {
        PutDelimited(out, f->number(), Message(f->message_type(), depth + 1));
      }
      class_ = saved;
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      int n = static_cast<int>(Pick(std::vector<int64_t>{1'000, 10'001, 100'000}));
      for (int i = 0; i < n && out.size() < kHugeBytes; ++i) {
        PutDelimited(out, f->number(), IsString(f) ? Text(f) : Bytes());
      }
    } else {
      int n = static_cast<int>(Pick(std::vector<int64_t>{10'001, 200'000}));
      std::string packed;
      for (int i = 0; i < n; ++i) ScalarPayload(packed, f);
      PutDelimited(out, f->number(), packed);
    }
  }

  void WrongWireType(std::string& out, const FieldDescriptor* f) {
    switch (WireTypeOf(f)) {
      case kDelimited:
        PutTag(out, f->number(), Chance(0.5) ? kVarint : kFixed32);
        if (Chance(0.5))
          PutVarint(out, Uniform(0, 1'000'000));
        else
          PutFixed(out, rng_(), 4);
        break;
      default: PutDelimited(out, f->number(), RandomBytes(16)); break;
    }
  }

  void UnknownField(std::string& out, const Descriptor* d, int group_depth) {
    uint64_t number = 0;
    switch (Uniform(0, 4)) {
      case 0: number = 536'870'911; break;  // the largest field number
      case 1: number = 19'500; break;       // protobuf's reserved range
      case 2: number = 100'000; break;
      default:
        for (int tries = 0; tries < 50 && (number == 0 || d->FindFieldByNumber(static_cast<int>(number))); ++tries) {
          number = static_cast<uint64_t>(Uniform(1, 200));
        }
    }
    if (d->FindFieldByNumber(static_cast<int>(number))) number = 536'870'911;
    switch (Uniform(0, 11)) {
      case 0:
      case 1:
        PutTag(out, number, kVarint);
        PutVarint(out, rng_());
        break;
      case 2:
        PutTag(out, number, kFixed64);
        PutFixed(out, rng_(), 8);
        break;
      case 3:
        PutTag(out, number, kFixed32);
        PutFixed(out, rng_(), 4);
        break;
      case 4:
      case 5:
      case 6: PutDelimited(out, number, Chance(0.5) ? RandomBytes(64) : InvalidUtf8()); break;
      case 7:
      case 8:
        if (group_depth > 0) {
          PutTag(out, number, kStartGroup);
          UnknownField(out, d, group_depth - 1);
          PutTag(out, number, kEndGroup);
        }
        break;
      case 9:
        PutTag(out, 0, kVarint);  // field number 0: the message does not parse
        PutVarint(out, 1);
        break;
      case 10:
        PutTag(out, number, 6);  // no wire type 6: the message does not parse
        break;
      default:
        PutTag(out, number, kStartGroup);  // a group closed under another number: does not parse
        PutTag(out, number + 1 > 536'870'911 ? 1 : number + 1, kEndGroup);
        break;
    }
  }

 public:
  // Unknown groups nested `depth` deep; protobuf refuses more than 100 levels.
  std::string NestedGroups(int depth) {
    std::string open, close;
    PutTag(open, 19'999, kStartGroup);
    PutTag(close, 19'999, kEndGroup);
    std::string out;
    for (int i = 0; i < depth; ++i) out += open;
    for (int i = 0; i < depth; ++i) out += close;
    return out;
  }

 private:
  void ScalarPayload(std::string& out, const FieldDescriptor* f) {
    const bool extreme = class_ == InputClass::kExtremeNumbers;
    switch (f->type()) {
      case FieldDescriptor::TYPE_DOUBLE:
        PutFixed(out, Bits(extreme ? ExtremeDouble() : static_cast<double>(Uniform(-1000, 1000)) / 7), 8);
        return;
      case FieldDescriptor::TYPE_FLOAT:
        PutFixed(out, Bits(extreme ? ExtremeFloat() : static_cast<float>(Uniform(-1000, 1000)) / 7), 4);
        return;
      case FieldDescriptor::TYPE_FIXED64:
      case FieldDescriptor::TYPE_SFIXED64:
        PutFixed(out, extreme ? static_cast<uint64_t>(ExtremeInt64()) : static_cast<uint64_t>(Uniform(0, 100)), 8);
        return;
      case FieldDescriptor::TYPE_FIXED32:
      case FieldDescriptor::TYPE_SFIXED32:
        PutFixed(out, extreme ? static_cast<uint64_t>(ExtremeInt64()) : static_cast<uint64_t>(Uniform(0, 100)), 4);
        return;
      case FieldDescriptor::TYPE_SINT32:
      case FieldDescriptor::TYPE_SINT64: PutVarint(out, ZigZag(extreme ? ExtremeInt64() : Uniform(-100, 100))); return;
      case FieldDescriptor::TYPE_BOOL:
        PutVarint(out,
                  extreme ? Pick(std::vector<uint64_t>{2, ~0ull, 1ull << 40}) : static_cast<uint64_t>(Uniform(0, 1)));
        return;
      case FieldDescriptor::TYPE_ENUM:
        PutVarint(out, static_cast<uint64_t>(static_cast<int64_t>(EnumNumber(f))));
        return;
      default:  // int32, int64, uint32, uint64: a plain varint
        PutVarint(out, static_cast<uint64_t>(extreme ? ExtremeInt64() : OrdinaryInt()));
        return;
    }
  }

  int64_t OrdinaryInt() {
    switch (Uniform(0, 3)) {
      case 0: return 0;
      case 1: return Uniform(1, 20);
      case 2: return Uniform(1900, 2100);  // years, page sizes, counts
      default: return Uniform(-5, 1'000);
    }
  }

  int64_t ExtremeInt64() {
    return Pick(std::vector<int64_t>{std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(), -1,
                                     std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min(),
                                     int64_t{1} << 40,  // an int32 field given 64 bits: protobuf truncates
                                     static_cast<int64_t>(std::numeric_limits<uint32_t>::max()), 253'402'300'800,
                                     1'000'000'000, -62'135'596'801});
  }

  double ExtremeDouble() {
    return Pick(std::vector<double>{std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                                    -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::max(),
                                    std::numeric_limits<double>::lowest(), std::numeric_limits<double>::denorm_min(),
                                    -0.0, 1e18});
  }

  float ExtremeFloat() {
    return Pick(std::vector<float>{std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                                   -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::max(),
                                   std::numeric_limits<float>::denorm_min(), -0.0f});
  }

  int32_t EnumNumber(const FieldDescriptor* f) {
    const auto* e = f->enum_type();
    int32_t max_known = 0;
    for (int i = 0; i < e->value_count(); ++i) max_known = std::max(max_known, e->value(i)->number());
    if (class_ == InputClass::kUnknownEnums || (class_ == InputClass::kExtremeNumbers && Chance(0.5))) {
      return Pick(std::vector<int32_t>{-1, max_known + 1, 999, std::numeric_limits<int32_t>::max(),
                                       std::numeric_limits<int32_t>::min(), 1 << 20});
    }
    return e->value(static_cast<int>(Uniform(0, e->value_count() - 1)))->number();
  }

  std::string RandomId() {
    static const std::string kAlnum = "0123456789ABCDEFGHJKMNPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    switch (Uniform(0, 9)) {
      case 0: return "";
      case 1:
      case 2:
        if (!known_ids_.empty()) return Pick(known_ids_);
        [[fallthrough]];
      case 3: {  // a digit string of a NIP/NIK-like length
        std::string s(static_cast<size_t>(Pick(std::vector<int64_t>{16, 18, 17, 19})), '0');
        for (auto& c : s) c = static_cast<char>('0' + Uniform(0, 9));
        return s;
      }
      case 4: return Pick(std::vector<std::string>{"33", "33.74", "33.74.01", "99.99", "33..74", "3374"});
      case 5:
        return Pick(std::vector<std::string>{"../../etc/passwd", "' OR 1=1 --", "%s%n%x", "*", "%", "_", "\t", " id ",
                                             "\xe2\x80\xae"
                                             "evil",
                                             std::string("a\0b", 3)});
      case 6: return std::string(static_cast<size_t>(Pick(std::vector<int64_t>{65, 129, 300, 4'097})), 'x');
      default: {
        std::string s(static_cast<size_t>(Uniform(1, 40)), '0');
        for (auto& c : s) c = kAlnum[static_cast<size_t>(Uniform(0, static_cast<int64_t>(kAlnum.size()) - 1))];
        return Chance(0.3) ? Pick(std::vector<std::string>{"C-", "K-", "E-", "pemilu-"}) + s : s;
      }
    }
  }

  // Valid UTF-8 (a string field's random value).
  std::string Text(const FieldDescriptor* f) {
    if (IdLike(f) && (class_ == InputClass::kRandomIds || Chance(0.5))) return RandomId();
    static const std::vector<std::string> kTexts = {
        "",
        " ",
        "Siti Aminah",
        "Pegawai 1",
        "III/b",
        "walikota:33.74",
        "PEMKOT-SMG",
        "Ca va? \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80",  // CJK and an emoji
        "e\xcc\x81\xcc\x81\xcc\x81",                                     // combining marks
        "\xe2\x80\x8b\xe2\x80\x8d",                                      // zero-width characters
        std::string("nul\0inside", 10),
        "\t\r\n",
        "<script>alert(1)</script>",
        "'; DROP TABLE complaints; --",
        "{\"json\": true}",
        "2024-02-14",
        "2024-02-30",
        "1970-01-01T00:00:00Z"};
    if (Chance(0.6)) return Pick(kTexts);
    std::string s(static_cast<size_t>(Uniform(0, 64)), ' ');
    for (auto& c : s) c = static_cast<char>(Uniform(0x20, 0x7e));
    return s;
  }

  std::string Bytes() {
    std::string s(static_cast<size_t>(Chance(0.3) ? 32 : Uniform(0, 64)), '\0');
    for (auto& c : s) c = static_cast<char>(Uniform(0, 255));
    return s;
  }

  std::string Oversize(bool text) {
    size_t size = static_cast<size_t>(Pick(std::vector<int64_t>{1'025, 65'536, 262'145, 1 << 20, 2 << 20}));
    if (!text) return std::string(size, '\x5a');
    static const std::vector<std::string> kUnits = {"a", "\xc3\xa9", "\xf0\x9f\x98\x80", std::string(1, '\0'), " "};
    const std::string& unit = Pick(kUnits);
    std::string s;
    s.reserve(size + 4);
    while (s.size() < size) s += unit;
    return s;
  }

  InputClass class_;
  std::mt19937_64 rng_;
  const std::vector<std::string>& known_ids_;
};

// The invalid-UTF-8 class `wanted` if the type has a place for it, else the
// nearest one it has; nullopt path when it has no string field at all.
std::pair<InputClass, const Path*> Utf8Target(InputClass wanted, const std::vector<Path>& strings, Generator& g) {
  auto matching = [&](InputClass c) {
    std::vector<const Path*> out;
    for (const auto& p : strings) {
      bool ok = false;
      switch (c) {
        case InputClass::kInvalidUtf8Top: ok = p.size() == 1 && !p[0]->is_repeated(); break;
        case InputClass::kInvalidUtf8Nested: ok = p.size() > 1 && !PathThroughRepeated(p) && !PathThroughMap(p); break;
        case InputClass::kInvalidUtf8Repeated: ok = PathThroughRepeated(p); break;
        case InputClass::kInvalidUtf8Map: ok = PathThroughMap(p); break;
        default: break;
      }
      if (ok) out.push_back(&p);
    }
    return out;
  };
  std::vector<InputClass> order = {wanted, InputClass::kInvalidUtf8Repeated, InputClass::kInvalidUtf8Nested,
                                   InputClass::kInvalidUtf8Top};
  for (InputClass c : order) {
    auto paths = matching(c);
    if (!paths.empty()) return {c, g.Pick(paths)};
  }
  return {InputClass::kRandomValues, nullptr};
}

}  // namespace

const char* Name(InputClass c) {
  switch (c) {
    case InputClass::kEmpty: return "empty";
    case InputClass::kRandomValues: return "random-values";
    case InputClass::kRandomIds: return "random-ids";
    case InputClass::kOversizeStrings: return "oversize-strings";
    case InputClass::kInvalidUtf8Top: return "invalid-utf8-top";
    case InputClass::kInvalidUtf8Nested: return "invalid-utf8-nested";
    case InputClass::kInvalidUtf8Repeated: return "invalid-utf8-repeated";
    case InputClass::kInvalidUtf8Map: return "invalid-utf8-map";
    case InputClass::kHugeRepeated: return "huge-repeated";
    case InputClass::kDeepNesting: return "deep-nesting";
    case InputClass::kUnknownEnums: return "unknown-enums";
    case InputClass::kExtremeNumbers: return "extreme-numbers";
    case InputClass::kUnknownFields: return "unknown-fields";
    case InputClass::kWrongWireTypes: return "wrong-wire-types";
    case InputClass::kGarbage: return "garbage";
    case InputClass::kTruncated: return "truncated";
    case InputClass::kStreamEmpty: return "stream-empty";
    case InputClass::kStreamMany: return "stream-many";
    case InputClass::kStreamGarbageThenHalfClose: return "stream-garbage-then-half-close";
    case InputClass::kStreamCancelled: return "stream-cancelled";
    case InputClass::kStreamStalled: return "stream-stalled";
  }
  return "?";
}

std::vector<InputClass> ClassesFor(const google::protobuf::MethodDescriptor& method) {
  std::vector<InputClass> classes = {
      InputClass::kEmpty,
      InputClass::kRandomValues,
      InputClass::kInvalidUtf8Top,
      InputClass::kRandomIds,
      InputClass::kInvalidUtf8Nested,
      InputClass::kOversizeStrings,
      InputClass::kInvalidUtf8Repeated,
      InputClass::kHugeRepeated,
      InputClass::kInvalidUtf8Map,
      InputClass::kDeepNesting,
      InputClass::kUnknownEnums,
      InputClass::kExtremeNumbers,
      InputClass::kUnknownFields,
      InputClass::kWrongWireTypes,
      InputClass::kGarbage,
      InputClass::kTruncated,
  };
  if (method.client_streaming()) {
    classes.insert(classes.end(),
                   {InputClass::kStreamEmpty, InputClass::kStreamMany, InputClass::kStreamGarbageThenHalfClose,
                    InputClass::kStreamCancelled, InputClass::kStreamStalled});
  }
  return classes;
}

uint64_t CaseSeed(uint64_t seed, const std::string& method, uint64_t index) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a of the method name, then splitmix64
  for (unsigned char c : method) h = (h ^ c) * 1099511628211ull;
  uint64_t z = seed ^ h ^ (index * 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

HostileCase Generate(const google::protobuf::MethodDescriptor& method, InputClass input_class, uint64_t seed,
                     const std::vector<std::string>& known_ids) {
  const Descriptor* type = method.input_type();
  Generator g(input_class, seed, known_ids);
  Generator ordinary(InputClass::kRandomValues, seed ^ 0x5bd1e995, known_ids);
  HostileCase c;
  c.input_class = input_class;

  // A stream carries the fault in one of a few messages; the others are ordinary.
  const bool streaming = method.client_streaming();
  size_t count = streaming ? static_cast<size_t>(g.Uniform(1, kStreamMessages)) : 1;
  size_t faulty = static_cast<size_t>(g.Uniform(0, static_cast<int64_t>(count) - 1));
  std::string message;

  switch (input_class) {
    case InputClass::kEmpty: break;
    case InputClass::kRandomValues:
    case InputClass::kRandomIds:
    case InputClass::kUnknownEnums:
    case InputClass::kExtremeNumbers:
    case InputClass::kUnknownFields:
    case InputClass::kWrongWireTypes: message = g.Message(type, 0); break;
    case InputClass::kDeepNesting:
      message = g.Message(type, 0) + g.NestedGroups(g.Pick(std::vector<int>{20, 99, 101, 10'000}));
      break;
    case InputClass::kInvalidUtf8Top:
    case InputClass::kInvalidUtf8Nested:
    case InputClass::kInvalidUtf8Repeated:
    case InputClass::kInvalidUtf8Map: {
      auto strings = Paths(type, IsString);
      auto [actual, path] = Utf8Target(input_class, strings, g);
      c.input_class = actual;
      message = g.Message(type, 0, path);
      if (path) {
        c.invalid_utf8_path = PathName(*path);
        c.invalid_utf8_message = faulty;
      }
      break;
    }
    case InputClass::kOversizeStrings:
    case InputClass::kHugeRepeated: {
      // The fault goes into one field of the right kind; a message with none
      // gets random values instead (and is counted as such).
      auto paths = Paths(type, [&c](const FieldDescriptor* f) {
        return c.input_class == InputClass::kHugeRepeated ? f->is_repeated()
                                                          : f->cpp_type() == FieldDescriptor::CPPTYPE_STRING;
      });
      if (paths.empty()) {
        c.input_class = InputClass::kRandomValues;
        message = g.Message(type, 0);
      } else {
        message = g.Message(type, 0, &g.Pick(paths));
      }
      break;
    }
    case InputClass::kGarbage: message = g.Chance(0.5) ? g.Garbage() : g.RandomBytes(512); break;
    case InputClass::kTruncated: {
      message = g.Message(type, 0);
      if (message.size() < 2) {
        message = g.Garbage();
      } else {
        message.resize(static_cast<size_t>(g.Uniform(1, static_cast<int64_t>(message.size()) - 1)));
      }
      break;
    }
    case InputClass::kStreamEmpty: c.messages.clear(); return c;
    case InputClass::kStreamMany:
      for (int i = static_cast<int>(g.Uniform(200, 600)); i > 0; --i) c.messages.push_back(ordinary.Message(type, 0));
      return c;
    case InputClass::kStreamGarbageThenHalfClose:
    case InputClass::kStreamCancelled:
    case InputClass::kStreamStalled:
      for (size_t i = 0; i < count; ++i) c.messages.push_back(ordinary.Message(type, 0));
      if (input_class == InputClass::kStreamGarbageThenHalfClose) c.messages.push_back(g.Garbage());
      if (input_class == InputClass::kStreamCancelled) c.ending = HostileCase::Ending::kCancel;
      if (input_class == InputClass::kStreamStalled) c.ending = HostileCase::Ending::kStall;
      return c;
  }
  for (size_t i = 0; i < count; ++i) c.messages.push_back(i == faulty ? message : ordinary.Message(type, 0));
  return c;
}

bool AllMessagesParse(const google::protobuf::MethodDescriptor& method, const HostileCase& c) {
  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(method.input_type());
  std::unique_ptr<google::protobuf::Message> message(prototype->New());
  google::protobuf::LogSilencer silence;  // protobuf logs every invalid UTF-8 string it refuses
  for (const auto& bytes : c.messages) {
    if (!message->ParseFromString(bytes)) return false;
  }
  return true;
}

}  // namespace netra::testing::hostile
