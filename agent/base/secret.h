#pragma once
// Secret<T>: a value that never prints (STYLE.md §12). Formatting it yields "<redacted>".

#include <fmt/format.h>

#include <ostream>
#include <string>
#include <utility>

namespace kb {

/// Holds a credential (password, secret key, token). reveal() is the only way to read it;
/// fmt and iostreams print "<redacted>".
template <typename T = std::string>
class Secret {
 public:
  Secret() = default;
  explicit Secret(T value) : value_(std::move(value)) {}
  T const& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  friend std::ostream& operator<<(std::ostream& os, Secret const&) { return os << "<redacted>"; }

 private:
  T value_{};
};

}  // namespace kb

template <typename T>
struct fmt::formatter<kb::Secret<T>> : fmt::formatter<std::string_view> {
  template <typename Ctx>
  auto format(kb::Secret<T> const&, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format("<redacted>", ctx);
  }
};
