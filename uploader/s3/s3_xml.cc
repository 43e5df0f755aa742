#include "uploader/s3/s3_xml.h"

#include <fmt/format.h>

#include <cstdlib>
#include <ctime>

#include "agent/base/clock.h"
#include "agent/base/crypto.h"
#include "uploader/s3/xml.h"

namespace kb::uploader {
namespace {

std::string Text(std::string_view xml, std::string_view tag) {
  return XmlText(xml, tag).value_or("");
}

std::uint64_t ToU64(std::string const& s) { return std::strtoull(s.c_str(), nullptr, 10); }

Status NotA(std::string_view what, std::string_view xml) {
  return UnavailableError(fmt::format("malformed S3 response: expected {}, got \"{}\"", what,
                                      xml.substr(0, 120)));
}

std::string Base64ToHex(std::string const& b64) {
  std::string raw;
  if (b64.empty() || !Base64Decode(b64, raw)) return "";
  return HexEncode(raw);
}

}  // namespace

std::string UrlDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() &&
               std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(static_cast<char>(std::strtol(std::string(text.substr(i + 1, 2)).c_str(),
                                                  nullptr, 16)));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string StripQuotes(std::string_view etag) {
  if (etag.starts_with("W/")) etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

bool ParseHttpDate(std::string_view text, std::chrono::system_clock::time_point& out) {
  std::tm tm{};
  std::string s(text);
  char const* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr) return false;
  std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return false;
  out = std::chrono::system_clock::from_time_t(t);
  return true;
}

StatusOr<S3ListObjectsPage> ParseListObjectsV2(std::string_view xml, bool url_encoded) {
  if (XmlRootName(xml) != "ListBucketResult") return NotA("ListBucketResult", xml);
  S3ListObjectsPage page;
  for (std::string_view c : XmlElements(xml, "Contents")) {
    ObjectInfo o;
    o.key = Text(c, "Key");
    if (url_encoded) o.key = UrlDecode(o.key, true);
    o.size = ToU64(Text(c, "Size"));
    o.etag = StripQuotes(Text(c, "ETag"));
    (void)ParseRfc3339(Text(c, "LastModified"), o.last_modified);
    page.objects.push_back(std::move(o));
  }
  for (std::string_view p : XmlElements(xml, "CommonPrefixes")) {
    std::string prefix = Text(p, "Prefix");
    page.common_prefixes.push_back(url_encoded ? UrlDecode(prefix, true) : prefix);
  }
  page.truncated = Text(xml, "IsTruncated") == "true";
  page.next_continuation_token = Text(xml, "NextContinuationToken");
  if (page.truncated && page.next_continuation_token.empty()) {
    return NotA("NextContinuationToken in a truncated ListBucketResult", xml);
  }
  return page;
}

StatusOr<S3ListPartsPage> ParseListParts(std::string_view xml) {
  if (XmlRootName(xml) != "ListPartsResult") return NotA("ListPartsResult", xml);
  S3ListPartsPage page;
  for (std::string_view p : XmlElements(xml, "Part")) {
    PartInfo part;
    part.number = std::atoi(Text(p, "PartNumber").c_str());
    part.size = ToU64(Text(p, "Size"));
    part.etag = StripQuotes(Text(p, "ETag"));
    part.sha256_hex = Base64ToHex(Text(p, "ChecksumSHA256"));
    page.parts.push_back(std::move(part));
  }
  page.truncated = Text(xml, "IsTruncated") == "true";
  page.next_part_number_marker = std::atoi(Text(xml, "NextPartNumberMarker").c_str());
  return page;
}

StatusOr<S3ListUploadsPage> ParseListMultipartUploads(std::string_view xml) {
  if (XmlRootName(xml) != "ListMultipartUploadsResult") {
    return NotA("ListMultipartUploadsResult", xml);
  }
  S3ListUploadsPage page;
  for (std::string_view u : XmlElements(xml, "Upload")) {
    PendingUpload up;
    up.key = Text(u, "Key");
    up.upload_id = Text(u, "UploadId");
    (void)ParseRfc3339(Text(u, "Initiated"), up.initiated);
    page.uploads.push_back(std::move(up));
  }
  page.truncated = Text(xml, "IsTruncated") == "true";
  page.next_key_marker = Text(xml, "NextKeyMarker");
  page.next_upload_id_marker = Text(xml, "NextUploadIdMarker");
  return page;
}

StatusOr<std::string> ParseInitiateMultipartUpload(std::string_view xml) {
  std::string id = Text(xml, "UploadId");
  if (XmlRootName(xml) != "InitiateMultipartUploadResult" || id.empty()) {
    return NotA("InitiateMultipartUploadResult with an UploadId", xml);
  }
  return id;
}

std::string CompleteMultipartUploadXml(std::vector<PartInfo> const& parts) {
  std::string out = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (PartInfo const& p : parts) {
    out += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>&quot;{}&quot;</ETag>", p.number,
                       XmlEscape(p.etag));
    std::string raw = HexDecode(p.sha256_hex);
    if (!raw.empty()) out += "<ChecksumSHA256>" + Base64Encode(raw) + "</ChecksumSHA256>";
    out += "</Part>";
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

}  // namespace kb::uploader
