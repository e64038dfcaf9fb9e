// libFuzzer harness: every HTML page template rendered with hostile values.
// Each name a template prints escaped ({{name}}) or opens as a section
// ({{#name}}) gets the fuzzed text; the page must render, and the text must
// never come out as it went in when it holds a character HTML would read
// (< > " ' &): escaped always, whatever the bytes. Names some template prints
// raw ({{{name}}}: pre-rendered HTML such as a chart) are left out.
#include <cstddef>
#include <cstdint>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/text.h"
#include "nlohmann/json.hpp"
#include "web/embedded.h"
#include "web/templates.h"

using namespace rectrack;
using json = nlohmann::json;

namespace {

struct Catalogue {
  std::vector<std::string> pages;  // template names without "templates/" and ".mustache"
  std::set<std::string> names;     // printed escaped or opened as sections
};

const Catalogue& Templates() {
  static const Catalogue c = [] {
    Catalogue out;
    std::set<std::string> raw;
    const std::regex tag(R"(\{\{(\{|#|\^)?\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}?\}\})");
    for (std::string_view file : web::EmbeddedFileNames()) {
      if (file.rfind("templates/", 0) != 0 || file.size() < 19) continue;
      std::string name(file.substr(10, file.size() - 10 - 9));
      if (name.rfind("mail_", 0) == 0 && name.size() > 5 &&
          name.substr(name.size() - 5) == "_text")
        continue;  // plain text, for e-mail: not HTML
      const std::string text(web::EmbeddedFile(file));
      for (std::sregex_iterator it(text.begin(), text.end(), tag), end; it != end; ++it) {
        const std::string kind = (*it)[1], key = (*it)[2];
        (kind == "{" ? raw : out.names).insert(key);
      }
      if (name.front() != '_') out.pages.push_back(name);
    }
    for (const auto& r : raw) out.names.erase(r);
    return out;
  }();
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Catalogue& c = Templates();
  if (c.pages.empty()) __builtin_trap();
  const std::string& page = c.pages[data[0] % c.pages.size()];
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (!IsValidUtf8(text)) return 0;  // the server refuses such text at its edge
  const std::string value = "zq" + text + "qz";  // ends marked: "&amp;" escaped starts the same
  json view = json::object();
  for (const auto& name : c.names) view[name] = value;
  auto html = web::RenderTemplate(page, view);
  if (!html) __builtin_trap();  // a template that fails on some value
  if (text.find_first_of("<>\"'&") != std::string::npos && html->find(value) != std::string::npos)
    __builtin_trap();  // hostile text came out unescaped
  return 0;
}
