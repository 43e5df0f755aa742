#pragma once
// S3 error responses → kb::Status (spec object-storage.md §2 "Errors"). The one place that
// decides which S3 failures are transient.

#include <string>
#include <string_view>

#include "agent/base/status.h"

namespace kb::uploader {

/// The fields of an S3 `<Error>` document.
struct S3Error {
  std::string code;        ///< e.g. "NoSuchBucket"; empty when the body had none
  std::string message;
  std::string request_id;
  std::string region;      ///< <Region> (AuthorizationHeaderMalformed) or x-amz-bucket-region
  std::string endpoint;    ///< <Endpoint> (PermanentRedirect)
};

/// Parses an `<Error>` document; fields missing from `body` stay empty.
S3Error ParseS3Error(std::string_view body);

/// Names the request in messages. None of these may hold a secret.
struct S3ErrorContext {
  std::string operation;  ///< S3 operation, e.g. "PutObject"
  std::string bucket;
  std::string key;        ///< full object key, or empty for bucket-level calls
  std::string endpoint;   ///< e.g. "http://127.0.0.1:9000"
  std::string upload_id;  ///< multipart calls only
};

/// Maps an S3 failure (HTTP status `http_status` with error document `body`, possibly empty as
/// for HEAD) to a Status whose message names the operation, bucket/key, endpoint and request id,
/// and says what to do. `bucket_region` is the x-amz-bucket-region header, if any.
/// Transient (retried by RetryLoop): SlowDown/429 → kResourceExhausted; 500/502/503/504,
/// InternalError, ServiceUnavailable, RequestTimeout → kUnavailable.
/// Fatal: NoSuchBucket/NoSuchKey/NoSuchUpload/404 → kNotFound; AccessDenied, InvalidAccessKeyId,
/// SignatureDoesNotMatch/403 → kPermissionDenied; RequestTimeTooSkewed, redirects, wrong region,
/// InvalidPart, EntityTooSmall → kFailedPrecondition; ExpiredToken → kUnauthenticated;
/// InvalidRange/416 → kOutOfRange; BadDigest and checksum mismatches → kDataLoss; other 4xx →
/// kInvalidArgument. A 2xx status yields kUnknown (callers only pass failures).
Status S3ErrorToStatus(long http_status, std::string_view body, S3ErrorContext const& context,
                       std::string_view bucket_region = {});

}  // namespace kb::uploader
