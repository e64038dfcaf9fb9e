#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "kainjow/mustache.hpp"
#include "nlohmann/json.hpp"

namespace rectrack::web {

// Template data from a JSON view: objects and arrays map across; strings stay
// strings (escaped by {{name}}, raw only through {{{name}}}); numbers become
// their decimal text; true/false are sections; null and "" are false, so
// {{#x}} skips them and {{x}} renders nothing. A view that means "absent" must
// still carry the key (null): mustache looks a missing name up in the
// enclosing sections.
kainjow::mustache::data ToMustacheData(const nlohmann::json& view);

// Renders web/templates/<name>.mustache (embedded in the binary) with `view`.
// Templates may include partials by name ({{> _pagination}}): every
// web/templates/_*.mustache is one. Fails if the template is missing or invalid.
// Thread-safe: each thread parses a template once and keeps it.
Result<std::string> RenderTemplate(std::string_view name, const nlohmann::json& view);

}  // namespace rectrack::web
