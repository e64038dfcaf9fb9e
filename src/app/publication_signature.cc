#include "app/publication_signature.h"

#include <algorithm>
#include <cctype>

#include "core/ledger.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace rectrack {

using json = nlohmann::json;

PublicationSigningFields SigningFieldsOf(const Publication& p) {
  PublicationSigningFields f;
  f.id = p.id;
  f.source = p.source_slug;
  f.title = p.title;
  f.as_of = p.as_of.ToIso();
  f.created_at = p.created_at;
  f.ledger_seq = p.ledger_seq;
  f.ledger_hash = p.ledger_hash;
  f.snapshot_sha256 = p.snapshot_sha256;
  return f;
}

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

PublicationCheck CheckPublicationDocument(std::string_view document,
                                          std::string_view trusted_key_hex) {
  PublicationCheck c;
  auto problem = [&](std::string p) { c.problems.push_back(std::move(p)); };
  json doc = json::parse(document, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    problem("the file is not a JSON object");
    return c;
  }
  auto str = [&](const char* name) -> std::string {
    if (!doc.contains(name) || !doc[name].is_string()) {
      problem(fmt::format("\"{}\" is missing or not a string", name));
      return "";
    }
    return doc[name].get<std::string>();
  };
  auto num = [&](const char* name) -> int64_t {
    if (!doc.contains(name) || !doc[name].is_number_integer()) {
      problem(fmt::format("\"{}\" is missing or not a whole number", name));
      return 0;
    }
    return doc[name].get<int64_t>();
  };
  PublicationSigningFields f;
  f.id = num("id");
  f.source = str("source");
  f.title = str("title");
  f.as_of = str("as_of");
  f.created_at = str("created_at");
  f.ledger_seq = num("ledger_seq");
  f.ledger_hash = str("ledger_hash");
  f.snapshot_sha256 = str("snapshot_sha256");
  std::string snapshot_text = str("snapshot_json");
  c.id = f.id;
  c.source = f.source;
  c.title = f.title;
  c.as_of = f.as_of;
  c.snapshot_sha256 = f.snapshot_sha256;
  if (!c.problems.empty()) return c;

  // 1. The snapshot, byte for byte, against its digest.
  if (Sha256Hex(snapshot_text) != Lower(f.snapshot_sha256))
    problem("the snapshot does not match its SHA-256 digest: it was changed after publishing");
  // 2. The readable copy says what the signed text says.
  if (doc.contains("snapshot")) {
    json signed_snapshot = json::parse(snapshot_text, nullptr, false);
    if (signed_snapshot.is_discarded())
      problem("the signed snapshot text is not JSON");
    else if (signed_snapshot != doc["snapshot"])
      problem("\"snapshot\" differs from the signed \"snapshot_json\": trust neither");
  }
  // 3. The signature over the fields.
  const json* sig = doc.contains("signature") ? &doc["signature"] : nullptr;
  if (!sig || !sig->is_object()) {
    problem("the publication is not signed (no \"signature\" object)");
  } else {
    std::string alg = sig->contains("alg") && (*sig)["alg"].is_string()
                          ? (*sig)["alg"].get<std::string>() : "";
    std::string key = sig->contains("public_key") && (*sig)["public_key"].is_string()
                          ? (*sig)["public_key"].get<std::string>() : "";
    std::string value = sig->contains("signature") && (*sig)["signature"].is_string()
                            ? (*sig)["signature"].get<std::string>() : "";
    c.public_key = Lower(key);
    if (alg != "ed25519") {
      problem(fmt::format("unknown signature algorithm '{}' (expected ed25519)", alg));
    } else if (!VerifySignature(key, PublicationSigningMessage(f), value)) {
      problem("the signature does not match the publication's fields and digest");
    }
  }
  // 4. Whose key.
  if (!trusted_key_hex.empty()) {
    c.key_checked = true;
    if (Lower(trusted_key_hex) != c.public_key)
      problem(fmt::format("signed by key {}, not by the trusted key {}",
                          c.public_key.empty() ? "(none)" : c.public_key,
                          Lower(trusted_key_hex)));
  }
  c.ok = c.problems.empty();
  return c;
}

}  // namespace rectrack
