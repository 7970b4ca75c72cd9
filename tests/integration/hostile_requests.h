// Hostile requests for any gRPC method, generated from its message descriptors
// as raw protobuf wire bytes (a small hand-written encoder), so that they can
// hold what a generated client refuses to send: invalid UTF-8 in string
// fields, unknown enum numbers, unknown and mistyped fields, truncated and
// garbage bytes, oversize strings and huge repeated fields. Each case is a
// pure function of (method, class, seed): a failure names its seed and is
// reproduced on its own.
#pragma once

#include <google/protobuf/descriptor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace netra::testing::hostile {

enum class InputClass {
  kEmpty,                // zero bytes: every field at its default
  kRandomValues,         // random values of the right types
  kRandomIds,            // every id-like field (ids, codes, NIP/NIK, tokens) holds a random or known id
  kOversizeStrings,      // a few strings or bytes of 64 KiB to 2 MiB (well under the message limit)
  kInvalidUtf8Top,       // invalid UTF-8 in a top-level string field
  kInvalidUtf8Nested,    // ... in a string field of a nested message
  kInvalidUtf8Repeated,  // ... in a repeated string, or a string inside a repeated message
  kInvalidUtf8Map,       // ... in a map entry's key or value
  kHugeRepeated,         // one repeated field with thousands to hundreds of thousands of elements
  kDeepNesting,          // every message field filled as deep as the schema goes, plus nested unknown groups
  kUnknownEnums,         // every enum field holds a number its enum does not define
  kExtremeNumbers,       // every number at an extreme: min/max, -1, NaN, infinities, oversized varints
  kUnknownFields,        // field numbers the message does not define, every wire type (some invalid)
  kWrongWireTypes,       // known fields sent with another wire type
  kGarbage,              // random bytes
  kTruncated,            // a valid encoding cut short, or a length past the end
  // Client-streaming methods only.
  kStreamEmpty,                 // half-closed without a message
  kStreamMany,                  // hundreds of small messages
  kStreamGarbageThenHalfClose,  // a few messages, one that does not parse, then WritesDone
  kStreamCancelled,             // a few messages, then the client cancels mid-stream
  kStreamStalled,               // a few messages, then silence until a short deadline passes
};

const char* Name(InputClass input_class);

// The classes sent to a method, in the order its cases cycle through them.
std::vector<InputClass> ClassesFor(const google::protobuf::MethodDescriptor& method);

struct HostileCase {
  // The class actually produced: a class the request type cannot carry (e.g. a
  // map entry when it has no map field) falls back to a related one.
  InputClass input_class = InputClass::kEmpty;
  // The serialized messages: exactly one for a unary method.
  std::vector<std::string> messages;
  enum class Ending { kHalfClose, kCancel, kStall };
  Ending ending = Ending::kHalfClose;
  // For the invalid-UTF-8 classes: the path of the string field holding the
  // bad bytes (e.g. "rows.employee.name"), and which message holds it.
  std::string invalid_utf8_path;
  size_t invalid_utf8_message = 0;
};

// Ids the services know (seeded by the test), mixed into the id-like fields.
HostileCase Generate(const google::protobuf::MethodDescriptor& method, InputClass input_class, uint64_t seed,
                     const std::vector<std::string>& known_ids);

// True if every message parses as the method's request type (the oracle for
// "a malformed request is never accepted"); protobuf's own log lines are silenced.
bool AllMessagesParse(const google::protobuf::MethodDescriptor& method, const HostileCase& c);

// A 64-bit seed for case `index` of `method` under the run's `seed`.
uint64_t CaseSeed(uint64_t seed, const std::string& method, uint64_t index);

}  // namespace netra::testing::hostile
