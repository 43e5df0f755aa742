// S3 multipart uploads: CreateMultipartUpload, UploadPart, ListParts, CompleteMultipartUpload,
// AbortMultipartUpload, ListMultipartUploads, and ListObjectsV2 (spec object-storage.md §2).
#include <algorithm>

#include "agent/base/crypto.h"
#include "agent/base/log.h"
#include "uploader/s3/s3_errors.h"
#include "uploader/s3/s3_object_store.h"
#include "uploader/s3/s3_xml.h"
#include "uploader/s3/xml.h"

namespace kb::uploader {
namespace {

class S3Upload final : public Upload {
 public:
  S3Upload(S3ObjectStore& store, std::string key, std::string upload_id)
      : store_(store), key_(std::move(key)), full_key_(store.FullKey(key_)),
        upload_id_(std::move(upload_id)) {}

  std::string const& key() const override { return key_; }
  std::string const& upload_id() const override { return upload_id_; }

  StatusOr<PartInfo> UploadPart(int number, PartSource const& source) override {
    S3Request r = Request("UploadPart", "PUT");
    r.query.emplace_back("partNumber", std::to_string(number));
    KB_RETURN_IF_ERROR(SetFileBody(source, r));
    KB_ASSIGN_OR_RETURN(HttpResponse response, store_.Execute(r));
    PartInfo part{.number = number, .size = source.length,
                  .etag = StripQuotes(response.Header("etag")), .sha256_hex = r.payload_sha256};
    if (part.etag.empty()) {
      return UnavailableError(fmt::format("UploadPart {} of {}: response without an ETag",
                                          number, store_.Describe() + "/" + key_));
    }
    return part;
  }

  StatusOr<std::vector<PartInfo>> ListParts() override {
    std::vector<PartInfo> parts;
    int marker = 0;
    while (true) {
      S3Request r = Request("ListParts", "GET");
      r.query.emplace_back("max-parts", std::to_string(store_.config().max_keys));
      if (marker > 0) r.query.emplace_back("part-number-marker", std::to_string(marker));
      KB_ASSIGN_OR_RETURN(HttpResponse response, store_.Execute(r));
      auto page = ParseListParts(response.body);
      if (!page.ok()) return page.status().WithPrefix("ListParts " + full_key_);
      for (PartInfo& p : page->parts) parts.push_back(std::move(p));
      if (!page->truncated || page->next_part_number_marker <= marker) break;
      marker = page->next_part_number_marker;
    }
    std::sort(parts.begin(), parts.end(),
              [](PartInfo const& a, PartInfo const& b) { return a.number < b.number; });
    return parts;
  }

  StatusOr<std::string> Complete(std::vector<PartInfo> const& parts) override {
    S3Request r = Request("CompleteMultipartUpload", "POST");
    std::string body = CompleteMultipartUploadXml(parts);
    r.body = body;
    r.payload_sha256 = Sha256Hex(body);
    r.headers.emplace_back("content-type", "application/xml");
    KB_ASSIGN_OR_RETURN(HttpResponse response, store_.Execute(r));
    // S3 may answer 200 and then report a failure in the body.
    if (XmlRootName(response.body) == "Error") {
      S3ErrorContext context{.operation = r.operation, .bucket = store_.config().bucket,
                             .key = full_key_, .endpoint = store_.config().endpoint,
                             .upload_id = upload_id_};
      return S3ErrorToStatus(response.status, response.body, context);
    }
    std::string etag = StripQuotes(XmlText(response.body, "ETag").value_or(""));
    if (etag.empty()) etag = StripQuotes(response.Header("etag"));
    if (etag.empty()) {
      return UnavailableError(fmt::format("CompleteMultipartUpload {}: no ETag in \"{}\"",
                                          full_key_, response.body.substr(0, 200)));
    }
    return etag;
  }

  Status Abort() override {
    return store_.Execute(Request("AbortMultipartUpload", "DELETE")).status();
  }

 private:
  S3Request Request(std::string operation, std::string method) const {
    S3Request r;
    r.operation = std::move(operation);
    r.method = std::move(method);
    r.key = full_key_;
    r.upload_id = upload_id_;
    r.query.emplace_back("uploadId", upload_id_);
    return r;
  }

  S3ObjectStore& store_;
  std::string key_;
  std::string full_key_;
  std::string upload_id_;
};

}  // namespace

StatusOr<UploadPtr> S3ObjectStore::BeginUpload(std::string const& key,
                                               PutOptions const& options) {
  S3Request r;
  r.operation = "CreateMultipartUpload";
  r.method = "POST";
  r.key = FullKey(key);
  r.query.emplace_back("uploads", "");
  AddPutHeaders(options, r.headers);
  r.headers.emplace_back("x-amz-checksum-algorithm", "SHA256");
  KB_ASSIGN_OR_RETURN(HttpResponse response, Execute(r));
  auto id = ParseInitiateMultipartUpload(response.body);
  if (!id.ok()) return id.status().WithPrefix("CreateMultipartUpload " + r.key);
  KB_LOG(uploader, debug, "upload begun key={} upload_id={}", r.key, *id);
  return UploadPtr(new S3Upload(*this, key, *id));
}

StatusOr<UploadPtr> S3ObjectStore::ResumeUpload(std::string const& key,
                                                std::string const& upload_id) {
  if (upload_id.empty()) return InvalidArgumentError("ResumeUpload: empty upload id");
  return UploadPtr(new S3Upload(*this, key, upload_id));
}

// All pages of ListMultipartUploads with `server_prefix`, keeping keys under `full_prefix`.
StatusOr<std::vector<PendingUpload>> S3ObjectStore::ListUploadPages(
    std::string const& server_prefix, std::string const& full_prefix) {
  std::vector<PendingUpload> out;
  std::string key_marker, id_marker;
  while (true) {
    S3Request r;
    r.operation = "ListMultipartUploads";
    r.method = "GET";
    r.query = {{"uploads", ""}, {"max-uploads", std::to_string(config_.max_keys)}};
    if (!server_prefix.empty()) r.query.emplace_back("prefix", server_prefix);
    if (!key_marker.empty()) r.query.emplace_back("key-marker", key_marker);
    if (!id_marker.empty()) r.query.emplace_back("upload-id-marker", id_marker);
    KB_ASSIGN_OR_RETURN(HttpResponse response, Execute(r));
    auto page = ParseListMultipartUploads(response.body);
    if (!page.ok()) return page.status().WithPrefix("ListMultipartUploads " + Describe());
    for (PendingUpload& u : page->uploads) {
      if (!u.key.starts_with(full_prefix)) continue;
      u.key = RelativeKey(u.key);
      out.push_back(std::move(u));
    }
    if (!page->truncated || (page->next_key_marker == key_marker &&
                             page->next_upload_id_marker == id_marker)) {
      break;
    }
    key_marker = page->next_key_marker;
    id_marker = page->next_upload_id_marker;
  }
  return out;
}

StatusOr<std::vector<PendingUpload>> S3ObjectStore::ListUploads(std::string const& prefix) {
  std::string const full_prefix = FullKey(prefix);
  KB_ASSIGN_OR_RETURN(std::vector<PendingUpload> found, ListUploadPages(full_prefix, full_prefix));
  if (!found.empty() || full_prefix.empty()) return found;
  // MinIO matches `prefix` only as a whole key: ask for the whole bucket and filter here. A
  // policy may forbid that (prefix-scoped permissions); then the first answer stands.
  auto all = ListUploadPages("", full_prefix);
  if (!all.ok()) return all.status().code() == StatusCode::kPermissionDenied ? found : all;
  return all;
}

StatusOr<ListPage> S3ObjectStore::List(std::string const& prefix, std::string const& delimiter,
                                       std::string const& page_token) {
  S3Request r;
  r.operation = "ListObjectsV2";
  r.method = "GET";
  r.query = {{"list-type", "2"}, {"prefix", FullKey(prefix)}, {"encoding-type", "url"},
             {"max-keys", std::to_string(config_.max_keys)}};
  if (!delimiter.empty()) r.query.emplace_back("delimiter", delimiter);
  if (!page_token.empty()) r.query.emplace_back("continuation-token", page_token);
  KB_ASSIGN_OR_RETURN(HttpResponse response, Execute(r));
  auto parsed = ParseListObjectsV2(response.body, /*url_encoded=*/true);
  if (!parsed.ok()) return parsed.status().WithPrefix("ListObjectsV2 " + Describe());
  ListPage page;
  for (ObjectInfo& o : parsed->objects) {
    o.key = RelativeKey(o.key);
    page.objects.push_back(std::move(o));
  }
  for (std::string const& p : parsed->common_prefixes) page.common_prefixes.push_back(RelativeKey(p));
  if (parsed->truncated) page.next_page_token = parsed->next_continuation_token;
  return page;
}

}  // namespace kb::uploader
