#include "agent/backup_job.h"

#include <unistd.h>

#include <system_error>

#include "agent/base/log.h"
#include "uploader/pipelined_upload_sink.h"

namespace kb::agent {

Status RefuseExistingBackup(uploader::ObjectStore& store, std::string const& name) {
  if (store.Stat(kube::BackupKey(name, "velero-backup.json")).ok()) {
    return AlreadyExistsError(
        fmt::format("backup {} already exists in {}: pick another name", name, store.Describe()));
  }
  return OkStatus();
}

Status PutBackupFiles(uploader::ObjectStore& store, std::string const& name,
                      std::vector<kube::BackupFile> const& files) {
  for (kube::BackupFile const& file : files) {
    uploader::PutOptions put;
    put.content_type = file.content_type;
    KB_RETURN_IF_ERROR(store.Put(kube::BackupKey(name, file.name), file.bytes, put));
  }
  return OkStatus();
}

StatusOr<kube::ResourceBackupResult> RunBackupJob(kube::ApiClient& client,
                                                  uploader::ObjectStore& store,
                                                  BackupJobOptions const& options, Clock& clock) {
  std::string const& name = options.backup.name;
  KB_RETURN_IF_ERROR(kube::ValidateBackupName(name));  // before it names a key or a file
  KB_RETURN_IF_ERROR(RefuseExistingBackup(store, name));

  // The tarball: written into a local staging file and uploaded as it grows.
  std::filesystem::path const staging =
      options.work_dir / fmt::format(".kbackup-{}-{}.tar.gz", name, ::getpid());
  uploader::UploadOptions upload = options.upload;
  upload.journal_path =
      options.work_dir / fmt::format(".kbackup-{}-{}.upload.json", name, ::getpid());
  upload.put.content_type = "application/gzip";
  KB_ASSIGN_OR_RETURN(auto sink, uploader::PipelinedUploadSink::Create(
                                     store, kube::BackupKey(name, name + ".tar.gz"), staging,
                                     upload));
  auto result = kube::RunResourceBackup(client, *sink, options.backup, clock);
  sink.reset();  // unfinished when the tarball failed: the upload is aborted
  std::error_code ec;
  std::filesystem::remove(staging, ec);
  if (!result.ok()) return result.status();

  KB_RETURN_IF_ERROR(PutBackupFiles(store, name, result->files));
  KB_LOG(agent, info,
         "backup done name={} phase={} items={} tarball_bytes={} warnings={} errors={}", name,
         result->phase, result->items, result->tarball_bytes, result->warnings.size(),
         result->errors.size());
  return result;
}

}  // namespace kb::agent
