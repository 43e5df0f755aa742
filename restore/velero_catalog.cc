#include "restore/velero_catalog.h"

#include <algorithm>

#include "kube/velero_backup.h"
#include "kube/velero_tar.h"
#include "uploader/download.h"

namespace kb::restore {

StatusOr<BackupSummary> ReadVeleroBackup(uploader::ObjectStore& store, std::string const& name) {
  std::string key = kube::BackupKey(name, "velero-backup.json");
  auto text = uploader::ReadObjectToString(store, key);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) {
      return NotFoundError(fmt::format("no backup {} in {}", name, store.Describe()));
    }
    return text.status();
  }
  KB_ASSIGN_OR_RETURN(json::value v, ParseJson(*text, store.Describe() + " " + key));
  if (!v.is_object()) return InvalidArgumentError(key + ": not a Backup object");
  BackupSummary s;
  s.object = v.as_object();
  s.name = name;
  if (s.object.contains("status") && s.object["status"].is_object()) {
    auto const& st = s.object["status"].as_object();
    s.phase = JsonString(st, "phase");
    s.started = JsonString(st, "startTimestamp");
    s.completed = JsonString(st, "completionTimestamp");
    s.expiration = JsonString(st, "expiration");
    s.warnings = JsonInt(st, "warnings");
    s.errors = JsonInt(st, "errors");
    if (st.contains("progress") && st.at("progress").is_object()) {
      s.items = JsonInt(st.at("progress").as_object(), "itemsBackedUp");
    }
  }
  return s;
}

StatusOr<std::vector<BackupSummary>> ListVeleroBackups(uploader::ObjectStore& store) {
  std::vector<BackupSummary> out;
  std::string token;
  do {
    KB_ASSIGN_OR_RETURN(uploader::ListPage page, store.List("backups/", "/", token));
    for (auto const& prefix : page.common_prefixes) {
      std::string name = prefix.substr(8, prefix.size() - 9);  // backups/<name>/
      auto s = ReadVeleroBackup(store, name);
      if (s.ok()) out.push_back(std::move(*s));
      else if (s.status().code() != StatusCode::kNotFound) return s.status();
    }
    token = page.next_page_token;
  } while (!token.empty());
  std::sort(out.begin(), out.end(),
            [](auto const& a, auto const& b) { return a.started > b.started; });
  return out;
}

StatusOr<std::string> ReadBackupFile(uploader::ObjectStore& store, std::string const& name,
                                     std::string const& suffix) {
  std::string key = kube::BackupKey(name, name + suffix);
  KB_ASSIGN_OR_RETURN(std::string gz, uploader::ReadObjectToString(store, key));
  return kube::Gunzip(gz, store.Describe() + " " + key);
}

StatusOr<int> DeleteVeleroBackup(uploader::ObjectStore& store, std::string const& name) {
  KB_RETURN_IF_ERROR(ReadVeleroBackup(store, name).status());
  KB_RETURN_IF_ERROR(store.Delete(kube::BackupKey(name, "velero-backup.json")));
  int deleted = 1;
  std::string token;
  do {
    KB_ASSIGN_OR_RETURN(uploader::ListPage page, store.List("backups/" + name + "/", "", token));
    for (auto const& obj : page.objects) {
      KB_RETURN_IF_ERROR(store.Delete(obj.key));
      ++deleted;
    }
    token = page.next_page_token;
  } while (!token.empty());
  return deleted;
}

}  // namespace kb::restore
