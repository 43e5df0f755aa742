#include "kube/go_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

namespace kb::kube {
namespace {

constexpr char kHex[] = "0123456789abcdef";

/// Length of the valid UTF-8 sequence at s[i], or 0 when it is not valid.
std::size_t Utf8Length(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  std::uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
  for (std::size_t k = 1; k < n; ++k) {
    auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc >> 6) != 2) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  // Overlong forms, surrogates and values past U+10FFFF are invalid, as Go's utf8 says.
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
      (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
    return 0;
  }
  return n;
}

void AppendString(std::string_view s, std::string& out) {
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            out += "\\u00";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    std::size_t n = Utf8Length(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    // U+2028 and U+2029: E2 80 A8 / E2 80 A9.
    if (n == 3 && c == 0xe2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) & 0xfe) == 0xa8) {
      out += static_cast<unsigned char>(s[i + 2]) == 0xa8 ? "\\u2028" : "\\u2029";
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  out.push_back('"');
}

void AppendDouble(double d, std::string& out) {
  // Go: the shortest digits that read back the same, in 'f' form for 1e-6 <= |d| < 1e21, else
  // 'e' form with "e-07" cleaned to "e-7".
  char buf[64];
  double a = std::fabs(d);
  bool exp_form = a != 0 && (a < 1e-6 || a >= 1e21);
  auto r = std::to_chars(buf, buf + sizeof buf, d,
                         exp_form ? std::chars_format::scientific : std::chars_format::fixed);
  std::string text(buf, r.ptr);
  if (exp_form) {
    auto pos = text.find("e-0");
    if (pos != std::string::npos && pos + 3 < text.size()) text.erase(pos + 2, 1);
  }
  out += text;
}

}  // namespace

void AppendGoJson(json::value const& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::null: out += "null"; break;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case json::kind::int64: out += std::to_string(v.get_int64()); break;
    case json::kind::uint64: out += std::to_string(v.get_uint64()); break;
    case json::kind::double_: AppendDouble(v.get_double(), out); break;
    case json::kind::string: AppendString(v.get_string(), out); break;
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (auto const& e : v.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        AppendGoJson(e, out);
      }
      out.push_back(']');
      break;
    }
    case json::kind::object: {
      auto const& o = v.get_object();
      std::vector<json::key_value_pair const*> members;
      members.reserve(o.size());
      for (auto const& kv : o) members.push_back(&kv);
      std::sort(members.begin(), members.end(),
                [](auto const* a, auto const* b) { return a->key() < b->key(); });
      out.push_back('{');
      bool first = true;
      for (auto const* kv : members) {
        if (!first) out.push_back(',');
        first = false;
        AppendString(kv->key(), out);
        out.push_back(':');
        AppendGoJson(kv->value(), out);
      }
      out.push_back('}');
      break;
    }
  }
}

std::string GoJson(json::value const& value) {
  std::string out;
  AppendGoJson(value, out);
  return out;
}

}  // namespace kb::kube
