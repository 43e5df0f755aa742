#pragma once
// A backup location as the CLI and the agent name it: a URL, or the name of a location in the
// config file, with the credentials the config points to resolved.

#include <memory>
#include <string>

#include "agent/base/status.h"
#include "agent/config.h"
#include "uploader/location.h"
#include "uploader/multipart_uploader.h"
#include "uploader/object_store.h"

namespace kb::agent {

/// A resolved location: open it with Open().
struct LocationRef {
  std::string name;  ///< the config's name for it; empty when given as a URL
  std::string url;   ///< the location URL
  uploader::LocationOptions options;  ///< credentials resolved from the config, if it names any
  /// The config's upload settings for it (LocationConfig); 0 = the uploader's defaults.
  std::uint64_t upload_rate_limit = 0;
  std::uint64_t upload_part_size = 0;
  int upload_parallelism = 0;

  /// `o` with the upload settings above that are set (non-zero) applied.
  uploader::UploadOptions WithUploadSettings(uploader::UploadOptions o) const;

  /// Opens the store (no request is sent). Errors: those of uploader::OpenLocation.
  StatusOr<std::unique_ptr<uploader::ObjectStore>> Open() const;
  /// "NAME (URL)" or the URL, redacted, for messages.
  std::string Describe() const;
};

/// Resolves `name_or_url`: a URL (it contains "://") as it is, else the location of that name
/// in `config`. Credentials named by the config are read now: from the file (its profile) or
/// the environment variables (`env`).
/// Errors: kInvalidArgument naming the location when `config` is null or has no location of
/// that name (listing the names it has), or when the named environment variables are unset;
/// the credentials file's (kNotFound, kInvalidArgument naming the file and profile).
StatusOr<LocationRef> ResolveLocation(std::string const& name_or_url, AgentConfig const* config,
                                      uploader::EnvLookup const& env);

/// The credentials `ref` points to. Errors: as ResolveLocation's.
StatusOr<uploader::AwsCredentials> ResolveCredentials(CredentialsRef const& ref,
                                                      std::string const& location_name,
                                                      uploader::EnvLookup const& env);

}  // namespace kb::agent
