#pragma once
// JSON text exactly as Go's encoding/json Marshal writes a map[string]interface{} (what
// Velero's json.Marshal(obj.UnstructuredContent()) puts in a backup tarball): compact, object
// keys sorted by byte value, HTML characters and U+2028/U+2029 escaped.
// Spec: Go encoding/json (encode.go: appendString with escapeHTML, sorted map keys).

#include <string>

#include "agent/base/json.h"

namespace kb::kube {

/// Appends the Go-compatible encoding of `value` to `out`.
/// Strings: `"` `\` → `\"` `\\`; \b \f \n \r \t short forms; other control characters, `<`,
/// `>`, `&`, U+2028 and U+2029 as \u00XX / \u2028 / \u2029 (lower-case hex); invalid UTF-8 as
/// \ufffd. Integers in decimal; other numbers in the shortest form that reads back the same.
void AppendGoJson(json::value const& value, std::string& out);

/// The Go-compatible encoding of `value`.
std::string GoJson(json::value const& value);

}  // namespace kb::kube
