#include "uploader/s3/credentials.h"

#include <fmt/ranges.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "agent/base/file_util.h"

namespace kb::uploader {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](std::string const& name) -> std::optional<std::string> {
    char const* v = std::getenv(name.c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

StatusOr<std::optional<AwsCredentials>> ParseSharedCredentials(std::string_view text,
                                                               std::string const& profile,
                                                               std::string const& source,
                                                               bool config_file_syntax) {
  std::string const wanted = (config_file_syntax && profile != "default")
                                 ? "profile " + profile
                                 : profile;
  std::map<std::string, std::string> keys;
  bool in_section = false, found = false;
  int line_no = 0;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = Trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') {
        return InvalidArgumentError(
            fmt::format("{}:{}: malformed section header", source, line_no));
      }
      std::string name(Trim(line.substr(1, line.size() - 2)));
      // "[profile  x]" and "[profile x]" are the same section.
      if (name.starts_with("profile ")) name = "profile " + std::string(Trim(name.substr(8)));
      in_section = name == wanted;
      found = found || in_section;
      continue;
    }
    if (!in_section) continue;
    auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      if (line.front() == ' ' || line.front() == '\t') continue;  // nested value (config `s3 =`)
      return InvalidArgumentError(
          fmt::format("{}:{}: expected \"key = value\"", source, line_no));
    }
    keys[Lower(Trim(line.substr(0, eq)))] = std::string(Trim(line.substr(eq + 1)));
  }
  if (!found || keys["aws_access_key_id"].empty()) return std::optional<AwsCredentials>();
  std::string where = fmt::format("{} [{}]", source, wanted);
  if (keys["aws_secret_access_key"].empty()) {
    return InvalidArgumentError(
        fmt::format("{}: aws_access_key_id without aws_secret_access_key", where));
  }
  AwsCredentials c;
  c.access_key_id = keys["aws_access_key_id"];
  c.secret_access_key = Secret<std::string>(keys["aws_secret_access_key"]);
  c.session_token = Secret<std::string>(keys["aws_session_token"]);
  c.source = where;
  return std::optional<AwsCredentials>(std::move(c));
}

StatusOr<AwsCredentials> ResolveDefaultCredentials(EnvLookup const& env) {
  auto id = env("AWS_ACCESS_KEY_ID");
  auto secret = env("AWS_SECRET_ACCESS_KEY");
  if (id && !secret) {
    return InvalidArgumentError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  }
  if (id) {
    AwsCredentials c;
    c.access_key_id = *id;
    c.secret_access_key = Secret<std::string>(*secret);
    c.session_token = Secret<std::string>(env("AWS_SESSION_TOKEN").value_or(""));
    c.source = "environment";
    return c;
  }
  std::string profile = env("AWS_PROFILE").value_or(env("AWS_DEFAULT_PROFILE").value_or("default"));
  std::string home = env("HOME").value_or("");
  std::vector<std::string> tried = {"AWS_ACCESS_KEY_ID"};
  struct Candidate {
    std::string path;
    bool config_syntax;
  };
  Candidate files[] = {
      {env("AWS_SHARED_CREDENTIALS_FILE").value_or(home.empty() ? "" : home + "/.aws/credentials"),
       false},
      {env("AWS_CONFIG_FILE").value_or(home.empty() ? "" : home + "/.aws/config"), true},
  };
  for (auto const& f : files) {
    if (f.path.empty()) continue;
    std::error_code ec;
    if (!std::filesystem::exists(f.path, ec)) {
      tried.push_back(f.path + " (absent)");
      continue;
    }
    KB_ASSIGN_OR_RETURN(std::string text, ReadFileToString(f.path));
    KB_ASSIGN_OR_RETURN(auto creds, ParseSharedCredentials(text, profile, f.path, f.config_syntax));
    if (creds) return std::move(*creds);
    tried.push_back(fmt::format("{} (no profile \"{}\")", f.path, profile));
  }
  return UnauthenticatedError(fmt::format(
      "no AWS credentials found (tried {}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
      "add profile \"{}\" to ~/.aws/credentials",
      fmt::join(tried, ", "), profile));
}

}  // namespace kb::uploader
