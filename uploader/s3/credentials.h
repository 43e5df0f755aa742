#pragma once
// AWS credentials and where they come from (spec object-storage.md §3): the environment, then
// the shared credentials and config files, read the way the AWS CLI reads them.
// STS (AssumeRole, web identity) and EC2/ECS metadata are not implemented yet.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "agent/base/secret.h"
#include "agent/base/status.h"

namespace kb::uploader {

/// A key pair, plus a session token for temporary credentials.
struct AwsCredentials {
  std::string access_key_id;                ///< not a secret (it appears in requests)
  Secret<std::string> secret_access_key;    ///< never logged
  Secret<std::string> session_token;        ///< empty for long-term keys
  std::string source;  ///< where they came from, for messages: "environment", "FILE [profile]"
};

/// Looks up an environment variable; nullopt when unset. Injected so tests need not setenv.
using EnvLookup = std::function<std::optional<std::string>(std::string const& name)>;

/// The process environment (getenv).
EnvLookup ProcessEnv();

/// Reads `profile` from the text of a shared credentials file (`[name]` sections) or, with
/// `config_file_syntax`, of a config file (`[default]` / `[profile name]`): keys
/// aws_access_key_id, aws_secret_access_key, aws_session_token. Full-line `#`/`;` comments,
/// blank lines and whitespace around `=` are ignored; key names are case-insensitive.
/// `source` names the file in messages.
/// Returns nullopt when the profile is absent or has no aws_access_key_id.
/// Errors: kInvalidArgument when the profile has a key id but no secret, or a malformed line.
StatusOr<std::optional<AwsCredentials>> ParseSharedCredentials(std::string_view text,
                                                               std::string const& profile,
                                                               std::string const& source,
                                                               bool config_file_syntax);

/// The default chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, then the
/// credentials file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials), then the config file
/// (AWS_CONFIG_FILE or ~/.aws/config); profile AWS_PROFILE, else AWS_DEFAULT_PROFILE, else
/// "default". Missing files are skipped.
/// Errors: kUnauthenticated when nothing provides credentials (the message lists what was
/// tried); kInvalidArgument for a key id without its secret or a malformed file.
StatusOr<AwsCredentials> ResolveDefaultCredentials(EnvLookup const& env);

}  // namespace kb::uploader
