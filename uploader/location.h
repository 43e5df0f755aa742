#pragma once
// Backup location URLs → ObjectStore:
//   file:///ABS/PATH
//   s3://BUCKET[/PREFIX][?endpoint=URL&region=R&path_style=true|false&ca_file=PATH]
// Credentials never appear in a location: S3 ones come from the environment or the AWS files
// (uploader/s3/credentials.h).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "agent/base/clock.h"
#include "agent/base/status.h"
#include "uploader/object_store.h"
#include "uploader/s3/credentials.h"

namespace kb::uploader {

/// How to open a location. The defaults suit the agent.
struct LocationOptions {
  /// S3 credentials to use instead of the default chain (tests; callers that resolved them).
  /// Default: none = ResolveDefaultCredentials(env).
  std::optional<AwsCredentials> credentials;
  /// Environment lookup for the default credential chain. Default: the process environment.
  EnvLookup env;
  /// Page size of listings (1..1000); tests use small pages. Default: 1000.
  int list_page_size = 1000;
  /// Clock for request signing and temp names. Default: nullptr = the system clock. Must
  /// outlive the store.
  Clock* clock = nullptr;
  /// Overrides the HTTP connect timeout (seconds); 0 = the client default (10 s).
  int connect_timeout_seconds = 0;
};

/// The parts of an s3:// location URL.
struct S3Location {
  std::string bucket;    ///< S3 bucket name
  std::string prefix;    ///< without leading or trailing "/"
  std::string endpoint;  ///< empty = AWS (https://s3.<region>.amazonaws.com)
  std::string region = "us-east-1";  ///< SigV4 region; default us-east-1
  bool path_style = false;  ///< default true when an endpoint is given, false for AWS
  std::string ca_file;      ///< PEM CA bundle for https endpoints; empty: system trust store
};

/// Parses an s3:// URL. Query values may be percent-encoded.
/// Errors: kInvalidArgument naming the (redacted) URL: no bucket, unknown query key, bad
/// path_style value, endpoint not http(s)://HOST[:PORT], credentials in the endpoint.
StatusOr<S3Location> ParseS3Location(std::string const& url);

/// Opens the store a location URL names. No request is sent (a missing bucket shows on first
/// use). Errors: kInvalidArgument naming the (redacted) URL for a relative file path, an unknown
/// scheme or query key, or a bad value; kUnauthenticated when S3 credentials are missing;
/// errno statuses when a file:// root cannot be created.
StatusOr<std::unique_ptr<ObjectStore>> OpenLocation(std::string const& url,
                                                    LocationOptions const& options);

/// `url` with anything credential-like replaced by "<redacted>" (userinfo in URLs, query values
/// of keys naming a secret, token, password, signature or credential); for messages and logs.
std::string RedactedLocation(std::string const& url);

}  // namespace kb::uploader
