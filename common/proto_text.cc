#include "common/proto_text.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/parse_context.h>
#include <google/protobuf/stubs/common.h>

#include <utility>
#include <vector>

// Replaces protobuf's own parse-time UTF-8 check (see proto_text.h). The
// generated parsers call this by its exported name, and a definition in the
// executable takes precedence over the shared library's.
namespace {
thread_local bool invalid_utf8_seen = false;
}  // namespace

namespace google::protobuf::internal {
bool VerifyUTF8(StringPiece text, const char*) {
  if (!IsStructurallyValidUTF8(text)) invalid_utf8_seen = true;
  return true;
}
}  // namespace google::protobuf::internal

namespace netra {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Paths are built only for nested messages and for faults: a valid request
// (the common case, e.g. each row of an import) costs a walk and no allocation
// per string field.
void Check(const Message& message, const std::string& prefix, Violations& out) {
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  std::string scratch;
  for (const FieldDescriptor* field : fields) {
    const bool is_message = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (field->type() != FieldDescriptor::TYPE_STRING && !is_message) continue;
    auto element = [&](int i) {
      std::string path = Path(prefix, field->name());
      return i < 0 ? path : path + "[" + std::to_string(i) + "]";
    };
    auto invalid = [&](int i) { out.Add(element(i), ViolationReason::kInvalidFormat, "is not valid UTF-8"); };
    if (!field->is_repeated()) {
      if (is_message) {
        Check(reflection->GetMessage(message, field), element(-1), out);
      } else if (Utf8Length(reflection->GetStringReference(message, field, &scratch)) < 0) {
        invalid(-1);
      }
      continue;
    }
    const int n = reflection->FieldSize(message, field);
    for (int i = 0; i < n; ++i) {
      if (is_message) {
        Check(reflection->GetRepeatedMessage(message, field, i), element(i), out);
      } else if (Utf8Length(reflection->GetRepeatedStringReference(message, field, i, &scratch)) < 0) {
        invalid(i);
      }
    }
  }
}

}  // namespace

bool TakeInvalidUtf8Seen() { return std::exchange(invalid_utf8_seen, false); }

void FindInvalidUtf8(const Message& message, const std::string& prefix, Violations& out) {
  Check(message, prefix, out);
}

}  // namespace netra
