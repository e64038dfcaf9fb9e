#pragma once
// The office's commentary on an official update: a small, safe Markdown.
//
// What it reads: paragraphs (blank lines between), line breaks, "## " and
// "### " headings, "- " or "* " bullet lists and "1. " numbered lists,
// **bold**, *italic* or _italic_, `code`, and [text](https://...) links
// (http and https only). Everything else is text: HTML in the input is
// shown as written, never run, and no attribute but a checked href is made.

#include <string>
#include <string_view>

#include "core/result.h"

namespace rectrack {

// Commentary is UTF-8 text of at most 20,000 bytes, without control
// characters other than tab and line ends.
Status CheckCommentary(std::string_view markdown);

// The commentary as HTML: every character of the input escaped, the markup
// above turned into <p>, <br>, <h3>/<h4>, <ul>/<ol>/<li>, <strong>, <em>,
// <code> and <a href="..." rel="nofollow noopener">.
std::string CommentaryHtml(std::string_view markdown);

}  // namespace rectrack
