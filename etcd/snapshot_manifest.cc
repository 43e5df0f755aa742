#include "etcd/snapshot_manifest.h"

#include "agent/base/clock.h"
#include "agent/base/json.h"

namespace kb::etcd {

std::string SnapshotFileName(std::string const& name) { return name + ".db.zst"; }
std::string ManifestFileName(std::string const& name) { return name + ".manifest.json"; }

std::string MakeSnapshotName(std::string const& cluster, std::string const& node,
                             std::chrono::system_clock::time_point now) {
  return fmt::format("{}-etcd-{}-{}", cluster, node, FormatCompactUtc(now));
}

namespace {

void Indent(std::string& out, int n) { out.append(static_cast<std::size_t>(n), ' '); }

// Boost.JSON serialises compactly; manifests are read by people, so print them indented.
void Pretty(json::value const& v, std::string& out, int depth) {
  if (v.is_object()) {
    auto const& o = v.as_object();
    if (o.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    std::size_t i = 0;
    for (auto const& kv : o) {
      Indent(out, (depth + 1) * 2);
      out += json::serialize(json::value(kv.key()));
      out += ": ";
      Pretty(kv.value(), out, depth + 1);
      out += ++i < o.size() ? ",\n" : "\n";
    }
    Indent(out, depth * 2);
    out += "}";
  } else {
    out += json::serialize(v);
  }
}

bool IsHex64(std::string const& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string ManifestToJson(SnapshotManifest const& m) {
  json::object etcd{{"endpoint", m.etcd_endpoint},
                    {"version", m.etcd_version},
                    {"storage_version", m.storage_version},
                    {"member_id", fmt::format("{:x}", m.member_id)},
                    {"cluster_id", fmt::format("{:x}", m.cluster_id)},
                    {"revision", m.revision},
                    {"revision_exact", m.revision_exact},
                    {"db_size", m.db_size},
                    {"db_sha256", m.db_sha256}};
  json::object root{{"format_version", m.format_version},
                    {"kind", "EtcdSnapshot"},
                    {"name", m.name},
                    {"cluster", m.cluster},
                    {"node", m.node},
                    {"created_at", FormatRfc3339(m.created_at)}};
  if (m.expires_at) root["expires_at"] = FormatRfc3339(*m.expires_at);
  root["etcd"] = std::move(etcd);
  root["raw"] = json::object{{"size", m.raw_size}, {"sha256", m.raw_sha256}};
  root["compressed"] = json::object{{"algorithm", m.compression},
                                    {"level", m.compression_level},
                                    {"size", m.compressed_size},
                                    {"sha256", m.compressed_sha256},
                                    {"file", SnapshotFileName(m.name)}};
  std::string out;
  Pretty(root, out, 0);
  out += "\n";
  return out;
}

StatusOr<SnapshotManifest> ParseManifestJson(std::string_view text, std::string_view what) {
  KB_ASSIGN_OR_RETURN(json::value v, ParseJson(text, what));
  if (!v.is_object()) return InvalidArgumentError(fmt::format("{}: manifest is not an object", what));
  auto const& o = v.as_object();
  SnapshotManifest m;
  m.format_version = static_cast<int>(JsonInt(o, "format_version", 0));
  if (m.format_version > kManifestFormatVersion) {
    return FailedPreconditionError(fmt::format(
        "{}: manifest format v{} needs a newer kbackup (this one reads v{})", what,
        m.format_version, kManifestFormatVersion));
  }
  if (m.format_version < 1) {
    return InvalidArgumentError(fmt::format("{}: not a kbackup snapshot manifest", what));
  }
  m.name = JsonString(o, "name");
  m.cluster = JsonString(o, "cluster");
  m.node = JsonString(o, "node");
  if (m.name.empty()) return InvalidArgumentError(fmt::format("{}: manifest has no name", what));
  std::chrono::system_clock::time_point t;
  if (!ParseRfc3339(JsonString(o, "created_at"), t)) {
    return InvalidArgumentError(fmt::format("{}: manifest created_at is not RFC 3339", what));
  }
  m.created_at = t;
  if (o.contains("expires_at")) {
    if (!ParseRfc3339(JsonString(o, "expires_at"), t)) {
      return InvalidArgumentError(fmt::format("{}: manifest expires_at is not RFC 3339", what));
    }
    m.expires_at = t;
  }
  auto const* etcd = o.if_contains("etcd");
  auto const* raw = o.if_contains("raw");
  auto const* comp = o.if_contains("compressed");
  if (etcd == nullptr || !etcd->is_object() || raw == nullptr || !raw->is_object() ||
      comp == nullptr || !comp->is_object()) {
    return InvalidArgumentError(
        fmt::format("{}: manifest lacks one of the etcd, raw, compressed sections", what));
  }
  auto const& e = etcd->as_object();
  m.etcd_endpoint = JsonString(e, "endpoint");
  m.etcd_version = JsonString(e, "version");
  m.storage_version = JsonString(e, "storage_version");
  m.member_id = std::strtoull(JsonString(e, "member_id", "0").c_str(), nullptr, 16);
  m.cluster_id = std::strtoull(JsonString(e, "cluster_id", "0").c_str(), nullptr, 16);
  m.revision = JsonInt(e, "revision");
  auto const* exact = e.if_contains("revision_exact");
  m.revision_exact = exact != nullptr && exact->is_bool() && exact->as_bool();
  m.db_size = static_cast<std::uint64_t>(JsonInt(e, "db_size"));
  m.db_sha256 = JsonString(e, "db_sha256");
  m.raw_size = static_cast<std::uint64_t>(JsonInt(raw->as_object(), "size"));
  m.raw_sha256 = JsonString(raw->as_object(), "sha256");
  auto const& c = comp->as_object();
  m.compression = JsonString(c, "algorithm", "zstd");
  m.compression_level = static_cast<int>(JsonInt(c, "level", 3));
  m.compressed_size = static_cast<std::uint64_t>(JsonInt(c, "size"));
  m.compressed_sha256 = JsonString(c, "sha256");
  if (m.compression != "zstd") {
    return InvalidArgumentError(
        fmt::format("{}: unknown compression \"{}\" (kbackup writes zstd)", what, m.compression));
  }
  for (auto const* h : {&m.db_sha256, &m.raw_sha256, &m.compressed_sha256}) {
    if (h == &m.raw_sha256 && h->empty()) continue;  // optional: the db sha256 covers the data
    if (!IsHex64(*h)) {
      return InvalidArgumentError(fmt::format("{}: manifest has a malformed sha256 \"{}\"", what, *h));
    }
  }
  if (m.raw_size != m.db_size + 32) {
    return InvalidArgumentError(fmt::format(
        "{}: manifest sizes disagree: raw {} bytes should be db {} + 32", what, m.raw_size,
        m.db_size));
  }
  return m;
}

}  // namespace kb::etcd
