// Invalid UTF-8 in a request's string fields is the client's mistake, answered
// as INVALID_ARGUMENT on the field's path.
//
// protobuf 3.21 refuses to parse a proto3 message whose string field is not
// UTF-8. gRPC then answers INTERNAL without naming the field (a unary call) or
// ends a client stream's reads as if the client had finished (a streaming call),
// and protobuf writes a plain-text line to stderr. That version has no option to
// defer the check, so proto_text.cc, linked into every Netra binary with the
// generated code, replaces protobuf's parse-time check: parsing keeps the bytes,
// and every handler rejects them with CheckRequestText (common/rpc.h) before
// anything reads, stores or hashes the message.
#pragma once

#include <google/protobuf/message.h>

#include <string>

#include "common/validation.h"

namespace netra {

// Adds one kInvalidFormat violation per string field of `message` (nested and
// repeated ones too) that is not valid UTF-8, under `prefix`: e.g.
// "reporter.name", "rows[3].nik" style paths ("evidence_ids[2]").
void FindInvalidUtf8(const google::protobuf::Message& message, const std::string& prefix, Violations& out);

// Whether a parse on this thread met a string field that is not UTF-8 since
// the last call (which clears it). A stream that parses its own messages
// (request_stream.h) walks a message with FindInvalidUtf8 only then: an import
// message of thousands of rows costs no second pass over its text.
bool TakeInvalidUtf8Seen();

}  // namespace netra
