#include "agent/location_ref.h"

#include <fmt/ranges.h>

#include "agent/base/file_util.h"

namespace kb::agent {

StatusOr<std::unique_ptr<uploader::ObjectStore>> LocationRef::Open() const {
  return uploader::OpenLocation(url, options);
}

std::string LocationRef::Describe() const {
  std::string redacted = uploader::RedactedLocation(url);
  return name.empty() ? redacted : fmt::format("location {} ({})", name, redacted);
}

StatusOr<uploader::AwsCredentials> ResolveCredentials(CredentialsRef const& ref,
                                                      std::string const& location_name,
                                                      uploader::EnvLookup const& env) {
  if (!ref.file.empty()) {
    KB_ASSIGN_OR_RETURN(std::string text, ReadFileToString(ref.file));
    std::string const source = fmt::format("{} [{}]", ref.file, ref.profile);
    KB_ASSIGN_OR_RETURN(auto creds, uploader::ParseSharedCredentials(text, ref.profile, source,
                                                                      /*config_file_syntax=*/false));
    if (!creds) {
      return InvalidArgumentError(fmt::format(
          "location {}: the credentials file {} has no profile [{}] with aws_access_key_id",
          location_name, ref.file, ref.profile));
    }
    return *std::move(creds);
  }
  auto var = [&](std::string const& name) -> StatusOr<std::string> {
    auto v = env(name);
    if (!v || v->empty()) {
      return InvalidArgumentError(fmt::format(
          "location {}: the environment variable {} named by its credentials is not set",
          location_name, name));
    }
    return *v;
  };
  uploader::AwsCredentials c;
  KB_ASSIGN_OR_RETURN(c.access_key_id, var(ref.access_key_id_env));
  KB_ASSIGN_OR_RETURN(std::string secret, var(ref.secret_access_key_env));
  c.secret_access_key = Secret<std::string>(std::move(secret));
  if (!ref.session_token_env.empty()) {
    KB_ASSIGN_OR_RETURN(std::string token, var(ref.session_token_env));
    c.session_token = Secret<std::string>(std::move(token));
  }
  c.source = fmt::format("environment ({}, {})", ref.access_key_id_env, ref.secret_access_key_env);
  return c;
}

uploader::UploadOptions LocationRef::WithUploadSettings(uploader::UploadOptions o) const {
  if (upload_rate_limit != 0) o.rate_limit_bytes_per_second = upload_rate_limit;
  if (upload_part_size != 0) {
    o.part_size = upload_part_size;
    o.multipart_threshold = upload_part_size;
  }
  if (upload_parallelism != 0) o.parallelism = upload_parallelism;
  return o;
}

StatusOr<LocationRef> ResolveLocation(std::string const& name_or_url, AgentConfig const* config,
                                      uploader::EnvLookup const& env) {
  LocationRef out;
  out.options.env = env;
  if (name_or_url.find("://") != std::string::npos) {
    out.url = name_or_url;
    return out;
  }
  LocationConfig const* loc = config ? config->FindLocation(name_or_url) : nullptr;
  if (loc == nullptr) {
    std::vector<std::string> names;
    if (config) {
      for (auto const& l : config->locations) names.push_back(l.name);
    }
    return InvalidArgumentError(
        config == nullptr
            ? fmt::format("location \"{}\" is neither a URL (file:///..., s3://...) nor a name: "
                          "no config file (--config, KBACKUP_CONFIG, {})",
                          name_or_url, kDefaultConfigPath)
            : fmt::format("{}: no location named \"{}\" (defined: {})", config->file, name_or_url,
                          names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
  }
  out.name = loc->name;
  out.url = loc->url;
  out.upload_rate_limit = loc->upload_rate_limit;
  out.upload_part_size = loc->upload_part_size;
  out.upload_parallelism = loc->upload_parallelism;
  if (!loc->credentials.empty()) {
    KB_ASSIGN_OR_RETURN(out.options.credentials,
                        ResolveCredentials(loc->credentials, loc->name, env));
  }
  return out;
}

}  // namespace kb::agent
