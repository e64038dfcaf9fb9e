#pragma once

#include <string_view>

namespace rectrack::sqlite {

// Versioned migrations, applied in order on open; PRAGMA user_version records
// how many have run. Never edit a released migration: add the next one.
inline constexpr std::string_view kMigrations[] = {
    // 1: the domain, the ledger and full-text search.
    R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE owners (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  tier TEXT NOT NULL DEFAULT 'unclassified'
) STRICT;

CREATE TABLE owner_aliases (
  alias    TEXT PRIMARY KEY,
  owner_id INTEGER NOT NULL REFERENCES owners(id)
) STRICT;

CREATE TABLE sources (
  id              INTEGER PRIMARY KEY,
  slug            TEXT NOT NULL UNIQUE,
  kind            TEXT NOT NULL,
  title           TEXT NOT NULL,
  author          TEXT NOT NULL DEFAULT '',
  commissioned_by TEXT NOT NULL DEFAULT '',
  date            TEXT,
  url             TEXT NOT NULL DEFAULT '',
  response_days   INTEGER,
  recorded_on     TEXT,
  stated_total    INTEGER,
  notes           TEXT NOT NULL DEFAULT '',
  vocabulary      TEXT NOT NULL DEFAULT 'canonical'
) STRICT;

CREATE TABLE recommendations (
  id        INTEGER PRIMARY KEY,
  source_id INTEGER NOT NULL REFERENCES sources(id),
  ref       TEXT NOT NULL,
  text      TEXT NOT NULL,
  themes    TEXT NOT NULL DEFAULT '[]',
  made      TEXT,
  target    TEXT,
  made_by   TEXT NOT NULL DEFAULT '',
  url       TEXT NOT NULL DEFAULT '',
  UNIQUE (source_id, ref)
) STRICT;

CREATE TABLE assignments (
  id                INTEGER PRIMARY KEY,
  recommendation_id INTEGER NOT NULL REFERENCES recommendations(id),
  owner_id          INTEGER NOT NULL REFERENCES owners(id),
  due               TEXT,
  response          TEXT NOT NULL DEFAULT 'none',
  response_text     TEXT NOT NULL DEFAULT '',
  response_date     TEXT,
  status            TEXT NOT NULL DEFAULT 'pending',
  implementation    TEXT NOT NULL DEFAULT 'not_started',
  raw_status        TEXT NOT NULL DEFAULT '',
  raw_response      TEXT NOT NULL DEFAULT '',
  version           INTEGER NOT NULL DEFAULT 1,
  UNIQUE (recommendation_id, owner_id)
) STRICT;
CREATE INDEX assignments_owner ON assignments(owner_id);

CREATE TABLE updates (
  id              INTEGER PRIMARY KEY,
  assignment_id   INTEGER NOT NULL REFERENCES assignments(id),
  date            TEXT NOT NULL,
  response        TEXT,
  response_text   TEXT NOT NULL DEFAULT '',
  response_status TEXT,
  implementation  TEXT,
  narrative       TEXT NOT NULL DEFAULT '',
  evidence        TEXT NOT NULL DEFAULT '[]',
  author          TEXT NOT NULL DEFAULT '',
  state           TEXT NOT NULL DEFAULT 'validated',
  return_reason   TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX updates_assignment ON updates(assignment_id, date);

CREATE TABLE funding (
  id        INTEGER PRIMARY KEY,
  source_id INTEGER NOT NULL REFERENCES sources(id),
  owner_id  INTEGER NOT NULL REFERENCES owners(id),
  item      TEXT NOT NULL,
  period    TEXT NOT NULL DEFAULT '',
  cost      INTEGER NOT NULL,
  funded    INTEGER NOT NULL,
  currency  TEXT NOT NULL DEFAULT 'GBP',
  note      TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE publications (
  id              INTEGER PRIMARY KEY,
  source_id       INTEGER NOT NULL REFERENCES sources(id),
  title           TEXT NOT NULL,
  as_of           TEXT NOT NULL,
  ledger_seq      INTEGER NOT NULL,
  ledger_hash     TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  snapshot        TEXT NOT NULL,
  snapshot_sha256 TEXT NOT NULL
) STRICT;

-- Append-only: the triggers refuse edits through SQL that goes through SQLite's
-- own engine; `rectrack verify` catches anything that bypasses them.
CREATE TABLE ledger (
  seq       INTEGER PRIMARY KEY,
  ts        TEXT NOT NULL,
  actor     TEXT NOT NULL,
  kind      TEXT NOT NULL,
  payload   TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL
) STRICT;
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;

CREATE VIRTUAL TABLE recommendation_fts USING fts5(
  text, responses, tokenize = 'porter unicode61 remove_diacritics 2'
);
)sql",
    // 2: FTS5 keeps up to 16 MB of new terms in memory before it writes them out
    // as a segment (the default is 1 MB). A bulk import then writes a sixteenth
    // of the segments, and merges them far less: a tenth of its time.
    R"sql(
INSERT INTO recommendation_fts(recommendation_fts, rank) VALUES('hashsize', 16777216);
)sql",
    // 3: accounts, sessions, API tokens and failed sign-ins (several servers over
    // one database share them); publication signatures. Tokens are stored only
    // as their SHA-256; passwords only as argon2id strings.
    R"sql(
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'editor', 'viewer')),
  disabled      INTEGER NOT NULL DEFAULT 0,
  created_at    TEXT NOT NULL
) STRICT;

CREATE TABLE user_owners (
  user_id  INTEGER NOT NULL REFERENCES users(id),
  owner_id INTEGER NOT NULL REFERENCES owners(id),
  PRIMARY KEY (user_id, owner_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX user_owners_owner ON user_owners(owner_id);

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id),
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE api_tokens (
  id         INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id    INTEGER NOT NULL REFERENCES users(id),
  label      TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used  INTEGER NOT NULL DEFAULT 0,
  revoked    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE login_failures (
  key TEXT NOT NULL,
  at  INTEGER NOT NULL
) STRICT;
CREATE INDEX login_failures_key ON login_failures(key, at);
CREATE INDEX login_failures_at ON login_failures(at);

CREATE INDEX updates_state ON updates(state) WHERE state = 'submitted';

ALTER TABLE publications ADD COLUMN signature TEXT NOT NULL DEFAULT '';
ALTER TABLE publications ADD COLUMN signing_key TEXT NOT NULL DEFAULT '';
)sql",
    // 4: the ledger holds every change and the tables are its projection
    // (docs/trust.md). Events from here on are hashed by scheme 2 (a link over
    // a digest of the content, for witnesses' consistency proofs). Secrets stay
    // out of the ledger but their digests go in, so that a swapped password or
    // token hash is caught. The tracker's public keys and its signed
    // checkpoints are tables of the projection; the private key leaves the
    // store (meta.signing_key_seed is removed by the upgrade that writes the
    // baseline, sqlite_baseline.cc).
    R"sql(
ALTER TABLE ledger ADD COLUMN scheme INTEGER NOT NULL DEFAULT 1;
CREATE INDEX ledger_kind ON ledger(kind);

ALTER TABLE users ADD COLUMN password_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN token_sha256 TEXT NOT NULL DEFAULT '';

CREATE TABLE tracker_keys (
  id           INTEGER PRIMARY KEY,
  public_key   TEXT NOT NULL UNIQUE,
  created_at   TEXT NOT NULL,
  first_seq    INTEGER NOT NULL,
  previous_key TEXT NOT NULL DEFAULT '',
  endorsement  TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE checkpoints (
  ledger_seq   INTEGER PRIMARY KEY,
  ledger_hash  TEXT NOT NULL,
  state_digest TEXT NOT NULL,
  time         TEXT NOT NULL,
  public_key   TEXT NOT NULL,
  signature    TEXT NOT NULL
) STRICT;
)sql",
    // 5: contacts of owners, e-mail addresses of users, chase schedules and the
    // outbox of chasers (issue 9): tables of the projection, every change a
    // ledger event. The outbox keeps what it sent even when a contact goes.
    R"sql(
CREATE TABLE owner_contacts (
  id                INTEGER PRIMARY KEY,
  owner_id          INTEGER NOT NULL REFERENCES owners(id),
  email             TEXT NOT NULL,
  name              TEXT NOT NULL,
  role              TEXT NOT NULL,
  created_at        TEXT NOT NULL,
  unsubscribed_at   TEXT,
  unsubscribe_token TEXT NOT NULL,
  UNIQUE (owner_id, email)
) STRICT;
CREATE INDEX owner_contacts_owner ON owner_contacts(owner_id);

CREATE TABLE user_emails (
  user_id INTEGER PRIMARY KEY REFERENCES users(id),
  email   TEXT NOT NULL
) STRICT;

CREATE TABLE chase_schedules (
  kind          TEXT PRIMARY KEY,
  before_days   TEXT NOT NULL,
  overdue_every INTEGER NOT NULL,
  target_every  INTEGER NOT NULL,
  enabled       INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  kind            TEXT NOT NULL,
  contact_id      INTEGER,
  user_id         INTEGER,
  owner_id        INTEGER,
  recipient       TEXT NOT NULL,
  subject         TEXT NOT NULL,
  message_id      TEXT NOT NULL UNIQUE,
  message         TEXT NOT NULL,
  as_of           TEXT NOT NULL,
  queued_at       TEXT NOT NULL,
  state           TEXT NOT NULL,
  attempts        INTEGER NOT NULL,
  next_attempt_at TEXT,
  claimed_by      TEXT NOT NULL,
  last_error      TEXT NOT NULL,
  sent_at         TEXT
) STRICT;
CREATE INDEX outbox_state ON outbox(state);

CREATE TABLE chase_items (
  outbox_id     INTEGER NOT NULL REFERENCES outbox(id),
  assignment_id INTEGER NOT NULL,
  stage         TEXT NOT NULL,
  PRIMARY KEY (outbox_id, assignment_id, stage)
) STRICT, WITHOUT ROWID;
CREATE INDEX chase_items_assignment ON chase_items(assignment_id);
)sql",
    // 6: an implementation target date of each assignment's own (issue 9, item
    // 5), where the recommendation's target is not the one agreed with this
    // owner. A table of the projection; a row only where one was set.
    R"sql(
CREATE TABLE assignment_targets (
  assignment_id INTEGER PRIMARY KEY REFERENCES assignments(id),
  target        TEXT NOT NULL
) STRICT;
)sql",
    // 7: documents' drafts on the web (issue 11): work in progress, outside
    // the ledger like sessions (docs/ledger.md); confirming one is an import.
    R"sql(
CREATE TABLE document_drafts (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL,
  file_name   TEXT NOT NULL,
  file_sha256 TEXT NOT NULL,
  preset      TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  version     INTEGER NOT NULL,
  items       INTEGER NOT NULL,
  draft       TEXT NOT NULL
) STRICT;
)sql",
};

}  // namespace rectrack::sqlite
