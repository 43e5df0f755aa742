#include "uploader/s3/sigv4.h"

#include <algorithm>
#include <ctime>

#include "agent/base/crypto.h"
#include "agent/base/url.h"

namespace kb::uploader {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trims the value and collapses runs of spaces into one (canonical header values).
std::string CanonicalHeaderValue(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

// Removes "." and ".." segments and empty segments (general rules only; S3 keeps them).
std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> segs;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    auto next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    std::string_view seg = path.substr(pos, next - pos);
    if (seg == "..") {
      if (!segs.empty()) segs.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segs.push_back(seg);
    }
    pos = next + 1;
  }
  std::string out;
  for (auto s : segs) {
    out += "/";
    out += s;
  }
  if (out.empty() || (path.size() > 1 && path.back() == '/')) out += "/";
  return out;
}

std::string FormatUtc(std::chrono::system_clock::time_point now, char const* fmt) {
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::size_t n = std::strftime(buf, sizeof buf, fmt, &tm);
  return std::string(buf, n);
}

}  // namespace

std::string UriEncode(std::string_view s, bool keep_slash) { return PercentEncode(s, keep_slash); }

std::string CanonicalQueryString(std::vector<std::pair<std::string, std::string>> const& query) {
  std::vector<std::pair<std::string, std::string>> enc;
  enc.reserve(query.size());
  for (auto const& [k, v] : query) enc.emplace_back(UriEncode(k, false), UriEncode(v, false));
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (auto const& [k, v] : enc) {
    if (!out.empty()) out += "&";
    out += k + "=" + v;
  }
  return out;
}

SigV4Result SignV4(SigV4Request const& request, AwsCredentials const& credentials,
                   SigV4Config const& config, std::chrono::system_clock::time_point now) {
  SigV4Result result;
  std::string const amz_date = FormatUtc(now, "%Y%m%dT%H%M%SZ");
  std::string const day = amz_date.substr(0, 8);
  result.headers.emplace_back("x-amz-date", amz_date);
  if (config.s3_rules) result.headers.emplace_back("x-amz-content-sha256", request.payload_sha256);
  if (!credentials.session_token.empty()) {
    result.headers.emplace_back("x-amz-security-token", credentials.session_token.reveal());
  }

  // Canonical headers: lower-case names, sorted, repeated names comma-joined.
  std::vector<std::pair<std::string, std::string>> headers;
  for (auto const& [k, v] : request.headers) headers.emplace_back(Lower(k), CanonicalHeaderValue(v));
  for (auto const& [k, v] : result.headers) headers.emplace_back(k, v);
  std::stable_sort(headers.begin(), headers.end(),
                   [](auto const& a, auto const& b) { return a.first < b.first; });
  std::string canonical_headers, signed_headers;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      canonical_headers.pop_back();  // the "\n"
      canonical_headers += "," + headers[i].second + "\n";
      continue;
    }
    canonical_headers += headers[i].first + ":" + headers[i].second + "\n";
    if (!signed_headers.empty()) signed_headers += ";";
    signed_headers += headers[i].first;
  }

  std::string path = request.path.empty() ? "/" : request.path;
  if (!config.s3_rules) path = UriEncode(NormalizePath(path), /*keep_slash=*/true);

  result.canonical_request = request.method + "\n" + path + "\n" +
                             CanonicalQueryString(request.query) + "\n" + canonical_headers +
                             "\n" + signed_headers + "\n" + request.payload_sha256;
  std::string const scope = day + "/" + config.region + "/" + config.service + "/aws4_request";
  result.string_to_sign = "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" +
                          Sha256Hex(result.canonical_request);

  std::string k = HmacSha256("AWS4" + credentials.secret_access_key.reveal(), day);
  k = HmacSha256(k, config.region);
  k = HmacSha256(k, config.service);
  k = HmacSha256(k, "aws4_request");
  result.signature = HexEncode(HmacSha256(k, result.string_to_sign));
  result.headers.emplace_back(
      "authorization", "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + scope +
                           ", SignedHeaders=" + signed_headers + ", Signature=" + result.signature);
  return result;
}

}  // namespace kb::uploader
