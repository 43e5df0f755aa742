#pragma once
// A tolerant extractor for the simple XML documents S3 returns: no namespaces prefixes, no
// mixed content, no same-name nesting. Not a general XML parser.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kb::uploader {

/// The inner text of every `<tag>…</tag>` (or empty `<tag/>`) at any depth, in document order.
/// Attributes on the start tag are allowed; `tag` must match the whole element name.
std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view tag);

/// The unescaped text of the first `<tag>` element, or nullopt when there is none.
std::optional<std::string> XmlText(std::string_view xml, std::string_view tag);

/// The name of the root element (after the `<?xml?>` declaration, comments and whitespace),
/// or "" when the text holds no element.
std::string XmlRootName(std::string_view xml);

/// Replaces the five predefined entities and numeric character references (`&#34;`, `&#x22;`).
std::string XmlUnescape(std::string_view text);

/// Escapes & < > " ' for element text.
std::string XmlEscape(std::string_view text);

}  // namespace kb::uploader
