-- SPDX-License-Identifier: GPL-3.0-or-later
-- OneWindow hall database, migration 2: what the hall server needs.
-- Tokens are 256 random bits; only their BLAKE2b-256 hashes are stored (a fast hash is right
-- for high-entropy secrets; PINs stay argon2id in staff.pin_hash).

-- Kiosks and boards: machines that hold a long-lived token made by `onewindow device add`.
CREATE TABLE devices (
  name        TEXT PRIMARY KEY,
  role        TEXT NOT NULL CHECK (role IN ('kiosk', 'board')),
  token_hash  BLOB NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL,
  revoked     INTEGER NOT NULL DEFAULT 0,
  revoked_at  INTEGER
);

-- Signed-in staff.  Kept in the database so that a server restart keeps people signed in.
CREATE TABLE sessions (
  id          INTEGER PRIMARY KEY,
  token_hash  BLOB NOT NULL UNIQUE,
  staff       TEXT NOT NULL REFERENCES staff (id),
  role        TEXT NOT NULL,
  window      TEXT REFERENCES windows (id),
  terminal    TEXT,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  revoked     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_open_by_window ON sessions (window) WHERE revoked = 0;

-- 好差评: one rating per ticket, owned by whoever handled the case (staff and window of the
-- visit that ended it).  level 5 = 非常满意, 4 = 满意, 3 = 基本满意, 2 = 不满意, 1 = 非常不满意.
CREATE TABLE ratings (
  id          INTEGER PRIMARY KEY,
  ticket      INTEGER NOT NULL UNIQUE REFERENCES tickets (id),
  day         TEXT NOT NULL,
  service     TEXT NOT NULL,
  level       INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
  comment     TEXT,
  at          INTEGER NOT NULL,
  staff       TEXT,
  window      TEXT
);
CREATE INDEX ratings_by_day ON ratings (day);
