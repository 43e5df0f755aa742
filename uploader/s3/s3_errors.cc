#include "uploader/s3/s3_errors.h"

#include <fmt/format.h>

#include "uploader/s3/xml.h"

namespace kb::uploader {

S3Error ParseS3Error(std::string_view body) {
  S3Error e;
  e.code = XmlText(body, "Code").value_or("");
  e.message = XmlText(body, "Message").value_or("");
  e.request_id = XmlText(body, "RequestId").value_or("");
  e.region = XmlText(body, "Region").value_or("");
  e.endpoint = XmlText(body, "Endpoint").value_or("");
  return e;
}

Status S3ErrorToStatus(long http_status, std::string_view body, S3ErrorContext const& c,
                       std::string_view bucket_region) {
  S3Error e = ParseS3Error(body);
  if (e.region.empty()) e.region = std::string(bucket_region);
  std::string const& code = e.code;
  std::string const object =
      c.key.empty() ? fmt::format("s3://{}", c.bucket) : fmt::format("s3://{}/{}", c.bucket, c.key);
  // "PutObject s3://b/k at http://host: HTTP 403 AccessDenied: Access Denied (request id X)"
  std::string what = fmt::format("{} {} at {}: HTTP {}{}{}{}", c.operation, object, c.endpoint,
                                 http_status, code.empty() ? "" : " " + code,
                                 e.message.empty() ? "" : ": " + e.message,
                                 e.request_id.empty() ? "" : " (request id " + e.request_id + ")");
  if (http_status >= 200 && http_status < 300 && code.empty()) {
    return UnknownError(what + ": unexpected response");
  }
  // Transient.
  if (code == "SlowDown" || http_status == 429) {
    return ResourceExhaustedError(what + ": the server asks to slow down (lower parallelism)");
  }
  if (code == "InternalError" || code == "ServiceUnavailable" || code == "RequestTimeout" ||
      code == "OperationAborted" || http_status >= 500) {
    return UnavailableError(what);
  }
  // Not found.
  if (code == "NoSuchBucket") {
    return NotFoundError(fmt::format(
        "bucket {} does not exist at {}: create it or fix --location ({} {}; request id {})",
        c.bucket, c.endpoint, c.operation, object, e.request_id));
  }
  if (code == "NoSuchUpload") {
    return NotFoundError(fmt::format(
        "{}: upload id {} no longer exists (completed or aborted): start the upload again",
        what, c.upload_id));
  }
  if (code == "NoSuchKey" || http_status == 404) return NotFoundError(what);
  // Credentials.
  if (code == "InvalidAccessKeyId") {
    return UnauthenticatedError(what + ": the access key id is unknown to " + c.endpoint +
                                 ": check AWS_ACCESS_KEY_ID or the credentials profile");
  }
  if (code == "SignatureDoesNotMatch") {
    return UnauthenticatedError(
        what + ": the signature does not match: check AWS_SECRET_ACCESS_KEY (the secret key of "
               "this access key id) and the region");
  }
  if (code == "RequestTimeTooSkewed") {
    return FailedPreconditionError(
        what + ": clock skew: this host's clock differs from the server's by more than 15 "
               "minutes; fix time sync (NTP)");
  }
  if (code == "ExpiredToken" || code == "TokenRefreshRequired") {
    return UnauthenticatedError(what + ": the session token expired; refresh the credentials");
  }
  if (code == "AccessDenied" || code == "AllAccessDisabled" || http_status == 403) {
    return PermissionDeniedError(fmt::format(
        "{}: check that the credentials may {} in bucket {} (bucket policy / IAM policy)", what,
        c.operation, c.bucket));
  }
  // Wrong region or endpoint.
  if (code == "AuthorizationHeaderMalformed" || code == "PermanentRedirect" ||
      code == "TemporaryRedirect" || code == "IllegalLocationConstraintException" ||
      http_status == 301 || http_status == 307) {
    std::string hint = !e.region.empty()   ? "the bucket is in region " + e.region + ": set region=" + e.region
                       : !e.endpoint.empty() ? "use endpoint " + e.endpoint
                                             : "check region= and endpoint=";
    return FailedPreconditionError(fmt::format("{}: wrong region or endpoint: {}", what, hint));
  }
  if (code == "InvalidRange" || http_status == 416) return OutOfRangeError(what);
  if (code == "BadDigest" || code == "XAmzContentSHA256Mismatch" || code == "InvalidDigest" ||
      code == "XAmzContentChecksumMismatch") {
    return DataLossError(what + ": the data received differs from its checksum (the source "
                                "changed while it was sent, or it was corrupted in transit)");
  }
  if (code == "InvalidPart" || code == "InvalidPartOrder" || code == "EntityTooSmall" ||
      code == "EntityTooLarge" || code == "PreconditionFailed" || code == "InvalidBucketState" ||
      http_status == 409 || http_status == 412) {
    return FailedPreconditionError(what);
  }
  return InvalidArgumentError(what);
}

}  // namespace kb::uploader
