#pragma once
// Percent-encoding of URL parts (RFC 3986 §2.1): what S3 signing and Kubernetes queries need.

#include <string>
#include <string_view>

namespace kb {

/// Percent-encodes every byte of `text` but the unreserved characters (A-Z a-z 0-9 - _ . ~)
/// and, with `keep_slash`, '/'. Upper-case hex, as SigV4 requires (RFC 3986 §2.1).
std::string PercentEncode(std::string_view text, bool keep_slash = false);

}  // namespace kb
