#pragma once
// AWS Signature Version 4 for request headers (spec object-storage.md §1).

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "uploader/s3/credentials.h"

namespace kb::uploader {

/// The hex SHA-256 of an empty body.
inline constexpr char kEmptyPayloadSha256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// What is signed of one request.
struct SigV4Request {
  std::string method;  ///< upper case
  /// The path as sent in the URL (already URI-encoded by the caller), starting with "/".
  std::string path;
  /// Query parameters, NOT encoded; a valueless parameter ("uploads") has an empty value.
  std::vector<std::pair<std::string, std::string>> query;
  /// Headers to sign (and send); must contain "host". Names in any case.
  std::vector<std::pair<std::string, std::string>> headers;
  /// Hex SHA-256 of the body, or "UNSIGNED-PAYLOAD".
  std::string payload_sha256 = kEmptyPayloadSha256;
};

/// Signing scope and rules.
struct SigV4Config {
  std::string region = "us-east-1";
  std::string service = "s3";
  /// S3 rules: the path is used as given (the key encoded once, not normalised) and the
  /// x-amz-content-sha256 header is added and signed. false: the general rules of the AWS test
  /// suite: dot segments removed, the path URI-encoded again ("double encoding"), no
  /// x-amz-content-sha256 header. Default: true.
  bool s3_rules = true;
};

/// The signature and the headers to add to the request.
struct SigV4Result {
  /// x-amz-date, x-amz-content-sha256 (S3), x-amz-security-token (temporary credentials) and
  /// authorization, in that order. The authorization value is secret-derived but not a secret.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string canonical_request;  ///< for tests and debugging
  std::string string_to_sign;
  std::string signature;  ///< hex
};

/// URI-encodes `s` per SigV4: keeps A-Z a-z 0-9 - _ . ~ (and "/" when `keep_slash`); every other
/// byte becomes %XX with upper-case hex.
std::string UriEncode(std::string_view s, bool keep_slash);

/// The canonical query string: names and values URI-encoded, sorted by name then value,
/// "name=value" joined by "&". Also the query string to send, so the two never differ.
std::string CanonicalQueryString(std::vector<std::pair<std::string, std::string>> const& query);

/// Signs `request` with `credentials` at time `now` (UTC; its second is used).
/// Deterministic and thread-safe.
SigV4Result SignV4(SigV4Request const& request, AwsCredentials const& credentials,
                   SigV4Config const& config, std::chrono::system_clock::time_point now);

}  // namespace kb::uploader
