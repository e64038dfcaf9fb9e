#pragma once
// E-mail messages as they go on the wire (RFC 5322 and MIME): headers encoded
// where they are not ASCII, bodies in quoted-printable, plain text and HTML
// as alternatives, and the chasers' and digests' messages from templates
// (web/templates/mail_*.mustache).

#include <string>
#include <string_view>
#include <vector>

#include "app/chase.h"
#include "core/result.h"

namespace rectrack::mail {

// Quoted-printable (RFC 2045 6.7) of UTF-8 text with "\n" or "\r\n" line
// ends: lines of at most 76 characters with soft breaks, CRLF hard breaks.
std::string QuotedPrintable(std::string_view text);
// A header value: as it is when printable ASCII, else RFC 2047 encoded-words
// (base64, UTF-8), folded so that no line exceeds 78 characters.
std::string EncodeHeaderText(std::string_view text);
// "Name <addr>" with the name quoted or encoded as it needs; the address
// alone without a name.
std::string Mailbox(std::string_view name, std::string_view address);
// RFC 5322 date of a Unix time in milliseconds, in UTC.
std::string MailDate(int64_t unix_ms);

struct MessageParts {
  std::string from_name, from;  // From
  std::string to_name, to;      // To
  std::string subject;
  std::string message_id;       // "<...>"
  int64_t date_ms = 0;
  std::string unsubscribe_url;  // List-Unsubscribe (RFC 8058 one-click) when set
  std::string text;             // the plain text body
  std::string html;             // the HTML body
  std::vector<std::pair<std::string, std::string>> extra_headers;
};
// The whole message with CRLF line ends: multipart/alternative, text first.
std::string BuildMessage(const MessageParts& parts);

// Who the messages are from and where their links point.
struct Sender {
  std::string from;        // an address
  std::string from_name;   // "Mayor's Office for Policing and Crime"
  std::string public_url;  // "https://tracker.example.org" (no trailing slash)
};
// The Message-ID of an outbox message: unique per message and store.
std::string MessageIdFor(int64_t outbox_id, const Sender& sender, std::string_view nonce);

// The chaser to one contact of an owner, and a coordinator's digest.
Result<RenderedMessage> RenderChaser(int64_t outbox_id, const OwnerChase& owner,
                                     const Contact& contact, Date as_of, const Sender& sender,
                                     int64_t now_ms);
Result<RenderedMessage> RenderDigest(int64_t outbox_id, const Digest& digest, Date as_of,
                                     const Sender& sender, int64_t now_ms);
// A renderer for QueueChase with these settings.
MessageRenderer Renderer(const Sender& sender, Date as_of, int64_t now_ms);

// The unsubscribe page's address for a contact: PUBLIC/unsubscribe/ID/TOKEN.
std::string UnsubscribeUrl(const Sender& sender, const Contact& contact);

}  // namespace rectrack::mail
