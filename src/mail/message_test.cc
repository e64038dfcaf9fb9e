// The wire form of chasers: encodings, headers and the rendered messages.
#include "mail/message.h"

#include <gtest/gtest.h>

#include <sstream>

namespace rectrack::mail {
namespace {

// Undoes QuotedPrintable, to check that the encoding keeps every byte.
std::string DecodeQp(const std::string& qp) {
  std::string out;
  for (size_t i = 0; i < qp.size(); ++i) {
    if (qp[i] == '=' && i + 2 < qp.size() + 1 && qp.compare(i, 3, "=\r\n") == 0) {
      i += 2;
    } else if (qp[i] == '=' && i + 2 < qp.size()) {
      out += static_cast<char>(std::stoi(qp.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += qp[i];
    }
  }
  return out;
}

TEST(MailTest, QuotedPrintableKeepsEveryByteInShortLines) {
  std::string text = "Prévention des décès: £346m a year = too little.\n" + std::string(200, 'x') +
                     "\nTrailing space \n.leading dot\n";
  std::string qp = QuotedPrintable(text);
  std::istringstream lines(qp);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    EXPECT_LE(line.size(), 76u) << line;
    for (unsigned char c : line) EXPECT_TRUE(c >= 32 && c < 127) << line;
  }
  EXPECT_NE(qp.find("Pr=C3=A9vention"), std::string::npos) << qp;
  EXPECT_NE(qp.find("=3D too"), std::string::npos);
  EXPECT_NE(qp.find("space=20\r\n"), std::string::npos);
  EXPECT_NE(qp.find("=2Eleading"), std::string::npos);
  std::string crlf;
  for (char c : text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  EXPECT_EQ(DecodeQp(qp), crlf);
}

TEST(MailTest, HeadersAreAsciiAndCannotBeInjected) {
  EXPECT_EQ(EncodeHeaderText("Home Office: 2 responses overdue"),
            "Home Office: 2 responses overdue");
  std::string enc = EncodeHeaderText("Bureau de l'Ombudsman – réponse en retard");
  EXPECT_EQ(enc.rfind("=?UTF-8?B?", 0), 0u) << enc;
  for (unsigned char c : enc) EXPECT_TRUE(c == '\r' || c == '\n' || (c >= 32 && c < 127));
  // A line break in a value is encoded, never a new header.
  std::string evil = EncodeHeaderText("x\r\nBcc: victim@example.org");
  EXPECT_EQ(evil.find("\r\nBcc"), std::string::npos) << evil;
  EXPECT_EQ(Mailbox("Ann \"The\" Lee", "ann@x.org"), "\"Ann \\\"The\\\" Lee\" <ann@x.org>");
  EXPECT_EQ(Mailbox("", "ann@x.org"), "ann@x.org");
  EXPECT_EQ(MailDate(0), "Thu, 01 Jan 1970 00:00:00 +0000");
}

TEST(MailTest, AChaserHasBothBodiesTheUnsubscribeLinkAndItsItems) {
  OwnerChase oc;
  oc.owner.id = 7;
  oc.owner.name = "Home Office";
  Contact c;
  c.id = 3;
  c.email = "pfd@ho.example";
  c.name = "Ann Lee";
  c.role = "PFD responses";
  c.unsubscribe_token = "00112233445566778899aabbccddeeff";
  ChaseItem overdue;
  overdue.assignment_id = 11;
  overdue.recommendation_id = 5;
  overdue.reason = ChaseReason::kResponseOverdue;
  overdue.stage = "overdue-0";
  overdue.days = 3;
  overdue.source_slug = "pfd-2026-0001";
  overdue.source_title = "<script>alert(1)</script>";
  overdue.ref = "2026-0001";
  overdue.date = *Date::ParseIso("2026-02-26");
  oc.items = {overdue};
  oc.contacts = {c};
  Sender s{"office@tracker.example", "The Office", "https://tracker.example"};
  auto m = RenderChaser(42, oc, c, *Date::ParseIso("2026-03-01"), s, 1'800'000'000'000);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->subject, "Home Office: 1 response overdue");
  EXPECT_EQ(m->message_id.rfind("<rectrack.42.", 0), 0u) << m->message_id;
  const std::string& msg = m->message;
  EXPECT_NE(msg.find("From: \"The Office\" <office@tracker.example>\r\n"), std::string::npos);
  EXPECT_NE(msg.find("To: \"Ann Lee\" <pfd@ho.example>\r\n"), std::string::npos);
  EXPECT_NE(msg.find("List-Unsubscribe: <https://tracker.example/unsubscribe/3/"
                     "00112233445566778899aabbccddeeff>\r\n"),
            std::string::npos);
  EXPECT_NE(msg.find("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"), std::string::npos);
  EXPECT_NE(msg.find("Content-Type: multipart/alternative"), std::string::npos);
  EXPECT_NE(msg.find("Content-Type: text/plain; charset=utf-8"), std::string::npos);
  EXPECT_NE(msg.find("Content-Type: text/html; charset=utf-8"), std::string::npos);
  const std::string& text = m->text;
  EXPECT_NE(text.find("2026-0001: response was due 26 February 2026: 3 days late"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("https://tracker.example/recommendations/5"), std::string::npos);
  // The HTML part escapes what the data says.
  size_t html_at = msg.find("\r\n\r\n", msg.find("text/html")) + 4;
  std::string html = DecodeQp(msg.substr(html_at, msg.find("\r\n--=_rectrack", html_at) - html_at));
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  // Every line of the message is CRLF-terminated and at most 998 bytes.
  size_t at = 0;
  while (at < msg.size()) {
    size_t end = msg.find("\r\n", at);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - at, 998u);
    EXPECT_EQ(msg.substr(at, end - at).find('\n'), std::string::npos);
    at = end + 2;
  }
}

}  // namespace
}  // namespace rectrack::mail
