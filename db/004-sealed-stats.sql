-- SPDX-License-Identifier: GPL-3.0-or-later
-- Statistics stop being kept in step with every operation (which cost each durable operation
-- two more pages and five statements): a day's figures are worked out from its tickets and
-- visits while it is open, and stored in stat_daily and stat_hist once, when the day is over
-- (ow-stats-record.c).  settings.stats_sealed_before is the first day not stored yet.

-- What the engine itself needs during the day: 'issued:SERVICE' (n: tickets issued, for the
-- daily cap) and 'served:STEP' (n steps served taking total seconds, for estimated waits).
CREATE TABLE day_counts (
  day    TEXT NOT NULL,
  key    TEXT NOT NULL,
  n      INTEGER NOT NULL DEFAULT 0,
  total  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, key)
) WITHOUT ROWID;

-- The largest visit id before the day's first ticket of the prefix: every visit of the day
-- comes after it, so a day's visits are read from there on, without an index by day.
ALTER TABLE counters ADD COLUMN first_visit INTEGER;

-- Days before the latest were kept up to date by every operation: they stay as they are.
-- The latest may still be open: it is worked out from its visits from now on.
INSERT OR REPLACE INTO settings (key, value)
  SELECT 'stats_sealed_before', max (day) FROM counters HAVING max (day) IS NOT NULL;

INSERT INTO day_counts (day, key, n, total)
  SELECT day, 'issued:' || substr (dim, 9), issued, 0 FROM stat_daily
  WHERE day = (SELECT max (day) FROM counters) AND dim LIKE 'service:%';
INSERT INTO day_counts (day, key, n, total)
  SELECT day, 'served:' || substr (dim, 6), service_n, service_sum FROM stat_daily
  WHERE day = (SELECT max (day) FROM counters) AND dim LIKE 'step:%';

UPDATE counters
  SET first_visit = (SELECT coalesce (min (id), 1) - 1 FROM visits WHERE day = (SELECT max (day) FROM counters))
  WHERE day = (SELECT max (day) FROM counters);

DELETE FROM stat_daily WHERE day >= (SELECT max (day) FROM counters);
DELETE FROM stat_hist WHERE day >= (SELECT max (day) FROM counters);
