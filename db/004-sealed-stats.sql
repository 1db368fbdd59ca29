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

-- Days the daily sweep has expired (settings.expired_before) were kept up to date by every
-- operation and can no longer change: they stay as they are.  The later ones (the latest
-- day, and yesterday when today's first operation has not swept it yet) may still change:
-- they are worked out from their visits from now on.
INSERT OR REPLACE INTO settings (key, value)
  SELECT 'stats_sealed_before',
         min (max (day), coalesce ((SELECT value FROM settings WHERE key = 'expired_before'), max (day)))
  FROM counters HAVING max (day) IS NOT NULL;

INSERT INTO day_counts (day, key, n, total)
  SELECT day, 'issued:' || substr (dim, 9), issued, 0 FROM stat_daily
  WHERE day >= (SELECT value FROM settings WHERE key = 'stats_sealed_before') AND dim LIKE 'service:%';
INSERT INTO day_counts (day, key, n, total)
  SELECT day, 'served:' || substr (dim, 6), service_n, service_sum FROM stat_daily
  WHERE day >= (SELECT value FROM settings WHERE key = 'stats_sealed_before') AND dim LIKE 'step:%';

-- One lower bound for all of them is enough: their visits are read from there on.
UPDATE counters
  SET first_visit = (SELECT coalesce (min (id), 1) - 1 FROM visits
                     WHERE day >= (SELECT value FROM settings WHERE key = 'stats_sealed_before'))
  WHERE day >= (SELECT value FROM settings WHERE key = 'stats_sealed_before');

DELETE FROM stat_daily WHERE day >= (SELECT value FROM settings WHERE key = 'stats_sealed_before');
DELETE FROM stat_hist WHERE day >= (SELECT value FROM settings WHERE key = 'stats_sealed_before');
