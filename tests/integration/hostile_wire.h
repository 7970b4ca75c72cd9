// The protobuf wire format, written by hand so that a test can send what a
// generated client never would, and the field paths of a message type.
#pragma once

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace netra::testing::hostile::wire {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
// Fields from a message down to one of its (nested) fields.
using Path = std::vector<const FieldDescriptor*>;

enum WireType { kVarint = 0, kFixed64 = 1, kDelimited = 2, kStartGroup = 3, kEndGroup = 4, kFixed32 = 5 };

inline void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline void PutTag(std::string& out, uint64_t field, int wire_type) { PutVarint(out, (field << 3) | wire_type); }

inline void PutFixed(std::string& out, uint64_t bits, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

inline void PutDelimited(std::string& out, uint64_t field, const std::string& bytes) {
  PutTag(out, field, kDelimited);
  PutVarint(out, bytes.size());
  out += bytes;
}

inline uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }

template <typename F>
inline uint64_t Bits(F value) {
  if constexpr (sizeof(F) == 4) {
    uint32_t b;
    std::memcpy(&b, &value, 4);
    return b;
  } else {
    uint64_t b;
    std::memcpy(&b, &value, 8);
    return b;
  }
}

inline int WireTypeOf(const FieldDescriptor* f) {
  switch (f->type()) {
    case FieldDescriptor::TYPE_FIXED64:
    case FieldDescriptor::TYPE_SFIXED64:
    case FieldDescriptor::TYPE_DOUBLE: return kFixed64;
    case FieldDescriptor::TYPE_FIXED32:
    case FieldDescriptor::TYPE_SFIXED32:
    case FieldDescriptor::TYPE_FLOAT: return kFixed32;
    case FieldDescriptor::TYPE_STRING:
    case FieldDescriptor::TYPE_BYTES:
    case FieldDescriptor::TYPE_MESSAGE:
    case FieldDescriptor::TYPE_GROUP: return kDelimited;
    default: return kVarint;
  }
}

inline bool IsString(const FieldDescriptor* f) { return f->type() == FieldDescriptor::TYPE_STRING; }
inline bool IsMessage(const FieldDescriptor* f) { return f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE; }

inline bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

inline bool IdLike(const FieldDescriptor* f) {
  const std::string& n = f->name();
  for (const char* suffix : {"id", "ids", "code", "codes", "nip", "nik", "token", "hmac"}) {
    if (n == suffix || EndsWith(n, std::string("_") + suffix)) return true;
  }
  return false;
}

// Every path from `d` down to a field that `leaf` accepts, through message
// fields, without visiting a message type twice on one path.
inline void CollectPaths(const Descriptor* d, const std::function<bool(const FieldDescriptor*)>& leaf, size_t max_depth,
                         Path& prefix, std::vector<const Descriptor*>& stack, std::vector<Path>& out) {
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    prefix.push_back(f);
    if (leaf(f)) out.push_back(prefix);
    if (IsMessage(f) && prefix.size() < max_depth &&
        std::find(stack.begin(), stack.end(), f->message_type()) == stack.end()) {
      stack.push_back(f->message_type());
      CollectPaths(f->message_type(), leaf, max_depth, prefix, stack, out);
      stack.pop_back();
    }
    prefix.pop_back();
  }
}

// Paths at most `max_depth` fields long.
inline std::vector<Path> Paths(const Descriptor* d, const std::function<bool(const FieldDescriptor*)>& leaf,
                               size_t max_depth = 8) {
  std::vector<Path> out;
  Path prefix;
  std::vector<const Descriptor*> stack = {d};
  CollectPaths(d, leaf, max_depth, prefix, stack, out);
  return out;
}

inline std::string PathName(const Path& path) {
  std::string name;
  for (const auto* f : path) name += (name.empty() ? "" : ".") + f->name();
  return name;
}

inline bool PathThroughRepeated(const Path& p) {
  for (const auto* f : p) {
    if (f->is_repeated() && !f->is_map()) return true;
  }
  return false;
}

inline bool PathThroughMap(const Path& p) {
  for (const auto* f : p) {
    if (f->is_map()) return true;
  }
  return false;
}

}  // namespace netra::testing::hostile::wire
