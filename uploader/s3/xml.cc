#include "uploader/s3/xml.h"

#include <cstdlib>

namespace kb::uploader {
namespace {

bool IsNameEnd(char c) { return c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void AppendUtf8(std::string& out, unsigned long cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> out;
  std::string const open = "<" + std::string(tag);
  std::string const close = "</" + std::string(tag) + ">";
  std::size_t pos = 0;
  while (true) {
    std::size_t start = xml.find(open, pos);
    if (start == std::string_view::npos) break;
    std::size_t after = start + open.size();
    if (after >= xml.size() || !IsNameEnd(xml[after])) {  // a longer name, e.g. <KeyMarker>
      pos = after;
      continue;
    }
    std::size_t gt = xml.find('>', after);
    if (gt == std::string_view::npos) break;
    if (xml[gt - 1] == '/') {  // <tag/>
      out.emplace_back();
      pos = gt + 1;
      continue;
    }
    std::size_t end = xml.find(close, gt + 1);
    if (end == std::string_view::npos) break;
    out.push_back(xml.substr(gt + 1, end - gt - 1));
    pos = end + close.size();
  }
  return out;
}

std::optional<std::string> XmlText(std::string_view xml, std::string_view tag) {
  auto elements = XmlElements(xml, tag);
  if (elements.empty()) return std::nullopt;
  return XmlUnescape(elements.front());
}

std::string XmlRootName(std::string_view xml) {
  std::size_t pos = 0;
  while (true) {
    pos = xml.find('<', pos);
    if (pos == std::string_view::npos || pos + 1 >= xml.size()) return "";
    char next = xml[pos + 1];
    if (next == '?' || next == '!') {  // declaration, comment, doctype
      std::size_t gt = xml.find('>', pos);
      if (gt == std::string_view::npos) return "";
      pos = gt + 1;
      continue;
    }
    std::size_t end = pos + 1;
    while (end < xml.size() && !IsNameEnd(xml[end])) ++end;
    return std::string(xml.substr(pos + 1, end - pos - 1));
  }
}

std::string XmlUnescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out.push_back(text[i]);
      continue;
    }
    std::size_t semi = text.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out.push_back('&');
      continue;
    }
    std::string_view ent = text.substr(i + 1, semi - i - 1);
    if (ent == "amp") out.push_back('&');
    else if (ent == "lt") out.push_back('<');
    else if (ent == "gt") out.push_back('>');
    else if (ent == "quot") out.push_back('"');
    else if (ent == "apos") out.push_back('\'');
    else if (ent.size() > 1 && ent[0] == '#') {
      std::string num(ent.substr(1));
      bool hex = !num.empty() && (num[0] == 'x' || num[0] == 'X');
      AppendUtf8(out, std::strtoul(num.c_str() + (hex ? 1 : 0), nullptr, hex ? 16 : 10));
    } else {
      out.push_back('&');
      continue;
    }
    i = semi;
  }
  return out;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

}  // namespace kb::uploader
