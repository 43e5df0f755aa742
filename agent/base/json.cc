#include "agent/base/json.h"

#include <boost/json/src.hpp>

namespace kb {

StatusOr<json::value> ParseJson(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return InvalidArgumentError(fmt::format("{}: bad JSON: {}", what, ec.message()));
  return v;
}

std::string JsonString(json::object const& obj, std::string_view key, std::string_view fallback) {
  auto const* v = obj.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::string(fallback);
  return std::string(v->as_string());
}

json::array JsonStringArray(std::vector<std::string> const& items) {
  json::array a;
  a.reserve(items.size());
  for (auto const& s : items) a.emplace_back(s);
  return a;
}

std::int64_t JsonInt(json::object const& obj, std::string_view key, std::int64_t fallback) {
  auto const* v = obj.if_contains(key);
  if (v == nullptr) return fallback;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->as_double());
  if (v->is_string()) {
    try {
      return std::stoll(std::string(v->as_string()));
    } catch (...) {
      return fallback;
    }
  }
  return fallback;
}

}  // namespace kb
