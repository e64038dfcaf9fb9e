#include "core/markdown.h"

#include <gtest/gtest.h>

namespace rectrack {
namespace {

TEST(CommentaryTest, TheMarkupItReads) {
  EXPECT_EQ(CommentaryHtml("One line\nand the next.\n\nA second paragraph."),
            "<p>One line<br>and the next.</p>\n<p>A second paragraph.</p>\n");
  EXPECT_EQ(CommentaryHtml("## Money\n- **£174m** of *£346m*\n- `Grant 2`"),
            "<h3>Money</h3>\n<ul>\n<li><strong>£174m</strong> of <em>£346m</em></li>\n"
            "<li><code>Grant 2</code></li>\n</ul>\n");
  EXPECT_EQ(CommentaryHtml("1. first\n2. second"), "<ol>\n<li>first</li>\n<li>second</li>\n</ol>\n");
  EXPECT_EQ(CommentaryHtml("See [the review](https://example.org/a?b=1&c=2)."),
            "<p>See <a href=\"https://example.org/a?b=1&amp;c=2\" rel=\"nofollow noopener\">the "
            "review</a>.</p>\n");
}

TEST(CommentaryTest, NothingInItRunsOrEscapesItsAttributes) {
  std::string html = CommentaryHtml(
      "<script>alert(1)</script>\n[x](javascript:alert(1)) [y](https://a.example/\"onmouseover=x)\n"
      "<img src=x onerror=alert(1)> **<b>**");
  EXPECT_EQ(html.find("<script"), std::string::npos) << html;
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_EQ(html.find("href=\"javascript"), std::string::npos);
  EXPECT_EQ(html.find("onmouseover=x\""), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  // Unclosed markup is text.
  EXPECT_EQ(CommentaryHtml("**half"), "<p>**half</p>\n");
  EXPECT_EQ(CommentaryHtml("[text](no"), "<p>[text](no</p>\n");
}

TEST(CommentaryTest, ChecksRefuseWhatCannotBeText) {
  EXPECT_TRUE(CheckCommentary("Tabs\tand\nlines\r\n are fine"));
  EXPECT_FALSE(CheckCommentary(std::string("a\0b", 3)));
  EXPECT_FALSE(CheckCommentary("bell\x07"));
  EXPECT_FALSE(CheckCommentary("\xff\xfe"));
  EXPECT_FALSE(CheckCommentary(std::string(20001, 'a')));
}

}  // namespace
}  // namespace rectrack
