#pragma once
// S3 response documents → structs, and the CompleteMultipartUpload request body
// (spec object-storage.md §2). Keys are returned as the server sent them (full keys).

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "agent/base/status.h"
#include "uploader/object_store.h"

namespace kb::uploader {

/// A ListObjectsV2 page (ListBucketResult).
struct S3ListObjectsPage {
  std::vector<ObjectInfo> objects;           ///< full keys
  std::vector<std::string> common_prefixes;  ///< full prefixes
  bool truncated = false;
  std::string next_continuation_token;
};

/// A ListParts page (ListPartsResult).
struct S3ListPartsPage {
  std::vector<PartInfo> parts;  ///< sha256_hex from ChecksumSHA256 when present
  bool truncated = false;
  int next_part_number_marker = 0;
};

/// A ListMultipartUploads page (ListMultipartUploadsResult).
struct S3ListUploadsPage {
  std::vector<PendingUpload> uploads;  ///< full keys
  bool truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};

/// Parses ListBucketResult; with `url_encoded` (encoding-type=url) keys and prefixes are decoded.
/// Errors: kUnavailable when the document is not a ListBucketResult (truncated or foreign).
StatusOr<S3ListObjectsPage> ParseListObjectsV2(std::string_view xml, bool url_encoded);
/// Errors: kUnavailable when the document is not a ListPartsResult.
StatusOr<S3ListPartsPage> ParseListParts(std::string_view xml);
/// Errors: kUnavailable when the document is not a ListMultipartUploadsResult.
StatusOr<S3ListUploadsPage> ParseListMultipartUploads(std::string_view xml);
/// UploadId of an InitiateMultipartUploadResult. Errors: kUnavailable when absent.
StatusOr<std::string> ParseInitiateMultipartUpload(std::string_view xml);

/// The CompleteMultipartUpload body: <Part><PartNumber/><ETag>"…"</ETag>[<ChecksumSHA256/>]</Part>
/// for each part in the given (ascending) order.
std::string CompleteMultipartUploadXml(std::vector<PartInfo> const& parts);

/// Decodes %XX escapes (and "+" as a space when `plus_is_space`, as S3's encoding-type=url does).
std::string UrlDecode(std::string_view text, bool plus_is_space);
/// Removes surrounding double quotes (and a W/ prefix) from an ETag.
std::string StripQuotes(std::string_view etag);
/// Parses an RFC 1123 HTTP date ("Wed, 12 Oct 2009 17:50:00 GMT"); false on bad input.
bool ParseHttpDate(std::string_view text, std::chrono::system_clock::time_point& out);

}  // namespace kb::uploader
