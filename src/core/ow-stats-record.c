/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-stats.h"
#include "ow-stats-day.h"

#include <math.h>
#include <string.h>

#define EXACT_BELOW 120
#define BUCKET_GROWTH 1.02

int
ow_stats_bucket (gint64 seconds)
{
  if (seconds < 0)
    seconds = 0;
  if (seconds < EXACT_BELOW)
    return (int) seconds;
  return EXACT_BELOW + (int) floor (log ((double) seconds / EXACT_BELOW) / log (BUCKET_GROWTH));
}

/* The smallest number of seconds that falls into @bucket. */
gint64
ow_stats_bucket_seconds (int bucket)
{
  if (bucket < EXACT_BELOW)
    return bucket;
  return (gint64) ceil (EXACT_BELOW * pow (BUCKET_GROWTH, bucket - EXACT_BELOW) - 1e-9);
}

/* What one visit (or the day's issuing) adds to the figures. */
typedef enum
{
  STAT_ISSUED,     /* service */
  STAT_CALLED,     /* service, step, window, staff, wait_s */
  STAT_SERVED,     /* service, step, window, staff, service_s, overdue: a step finished */
  STAT_NO_SHOW,    /* service, step, window, staff */
  STAT_RETURNED,   /* service, step, window, staff */
} StatKind;

typedef struct
{
  StatKind    kind;
  const char *service;
  const char *step;
  const char *window;
  const char *staff;
  gint64      wait_s;
  gint64      service_s;
  gboolean    overdue;
  gint64      times;
  int         hour;     /* of the local day when it happened: issue, call, or end of the step */
} StatRecord;

/* Local hours of a day: from its midnight, unless the clocks change that day. */
typedef struct
{
  OwClock  *clock;
  gint64    midnight;
  gboolean  uniform;
} DayHours;

static void
day_hours_init (DayHours   *hours,
                OwClock    *clock,
                const char *day)
{
  hours->clock = clock;
  hours->midnight = ow_clock_parse_day (clock, day);
  hours->uniform = hours->midnight >= 0 &&
                   ow_clock_minute_of_day (clock, hours->midnight + (gint64) 23 * 3600 * G_USEC_PER_SEC) == 23 * 60;
}

static int
day_hours_of (const DayHours *hours,
              gint64          at)
{
  gint64 since = at - hours->midnight;

  if (hours->uniform && since >= 0 && since < (gint64) 24 * 3600 * G_USEC_PER_SEC)
    return (int) (since / ((gint64) 3600 * G_USEC_PER_SEC));
  return ow_clock_minute_of_day (hours->clock, at) / 60;
}

OwStatDay *
ow_stat_day_new (void)
{
  OwStatDay *day = g_new0 (OwStatDay, 1);

  day->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  day->hists = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_array_unref);
  return day;
}

void
ow_stat_day_free (OwStatDay *day)
{
  if (day == NULL)
    return;
  g_hash_table_unref (day->counts);
  g_hash_table_unref (day->hists);
  g_free (day);
}

static void
bump_counts (OwStatDay        *day,
             const char       *kind,
             const char       *id,
             const StatRecord *r)
{
  g_autofree char *dim = g_strconcat (kind, id, NULL);
  OwStatCounts *c = g_hash_table_lookup (day->counts, dim);

  if (c == NULL)
    {
      c = g_new0 (OwStatCounts, 1);
      g_hash_table_insert (day->counts, g_steal_pointer (&dim), c);
    }
  switch (r->kind)
    {
    case STAT_ISSUED:
      c->issued += r->times;
      break;
    case STAT_CALLED:
      c->called++;
      c->wait_n++;
      c->wait_sum += r->wait_s;
      break;
    case STAT_SERVED:
      c->served++;
      c->service_n++;
      c->service_sum += r->service_s;
      c->overdue += r->overdue ? 1 : 0;
      break;
    case STAT_NO_SHOW:
      c->no_shows++;
      break;
    case STAT_RETURNED:
      c->returned++;
      break;
    }
}

static void
bump_hist (OwStatDay  *day,
           const char *dim,
           const char *id,
           gint64      seconds)
{
  g_autofree char *key = g_strconcat (dim, id, NULL);
  GArray *counts = g_hash_table_lookup (day->hists, key);
  guint bucket = ow_stats_bucket (seconds);

  if (counts == NULL)
    {
      counts = g_array_new (FALSE, TRUE, sizeof (guint32));
      g_hash_table_insert (day->hists, g_steal_pointer (&key), counts);
    }
  if (counts->len <= bucket)
    g_array_set_size (counts, bucket + 1);
  g_array_index (counts, guint32, bucket)++;
}

/* The hall, the service and the hour, and then the step, window and staff where they apply. */
static void
day_add (OwStatDay        *day,
         const StatRecord *record)
{
  char hour[4];

  bump_counts (day, "", "", record);
  if (record->service != NULL)
    bump_counts (day, "service:", record->service, record);
  g_snprintf (hour, sizeof hour, "%02d", CLAMP (record->hour, 0, 23));
  bump_counts (day, "hour:", hour, record);
  /* Issuing happens before any step, window or staff is involved. */
  if (record->kind == STAT_ISSUED)
    return;
  if (record->step != NULL)
    bump_counts (day, "step:", record->step, record);
  if (record->window != NULL)
    bump_counts (day, "window:", record->window, record);
  if (record->staff != NULL)
    bump_counts (day, "staff:", record->staff, record);

  if (record->kind == STAT_CALLED)
    bump_hist (day, "wait", "", record->wait_s);
  else if (record->kind == STAT_SERVED && record->step != NULL)
    bump_hist (day, "service:", record->step, record->service_s);
}

/* Every visit of @day has a larger id than counters.first_visit of the day's first ticket
 * (a visit is opened after its ticket is issued), so the read starts there. */
gboolean
ow_stat_day_collect (OwDb        *db,
                     OwClock     *clock,
                     const char  *day,
                     OwStatDay   *out,
                     GError     **error)
{
  g_autoptr(sqlite3_stmt) issued = NULL;
  g_autoptr(sqlite3_stmt) visits = NULL;
  DayHours hours;
  int rc;

  day_hours_init (&hours, clock, day);
  issued = ow_db_prepare (db, "SELECT service, issued_at FROM tickets WHERE day = ?1", error);
  if (issued == NULL)
    return FALSE;
  sqlite3_bind_text (issued, 1, day, -1, SQLITE_STATIC);
  while ((rc = ow_db_step_row (db, issued, error)) == SQLITE_ROW)
    {
      StatRecord record = { .kind = STAT_ISSUED, .service = ow_db_column_text (issued, 0), .times = 1,
                            .hour = day_hours_of (&hours, sqlite3_column_int64 (issued, 1)) };

      day_add (out, &record);
    }
  if (rc < 0)
    return FALSE;

  visits = ow_db_prepare (db,
                          "SELECT t.service, v.step, v.window, v.staff, v.outcome, v.queued_at,"
                          " v.called_at, v.started_at, v.ended_at, v.overdue_s"
                          " FROM visits v JOIN tickets t ON t.id = v.ticket"
                          " WHERE v.id > (SELECT coalesce (min (first_visit), 0) FROM counters WHERE day = ?1)"
                          " AND v.day = ?1",
                          error);
  if (visits == NULL)
    return FALSE;
  sqlite3_bind_text (visits, 1, day, -1, SQLITE_STATIC);
  while ((rc = ow_db_step_row (db, visits, error)) == SQLITE_ROW)
    {
      const char *outcome = ow_db_column_text (visits, 4);
      StatRecord record = {
        .service = ow_db_column_text (visits, 0),
        .step = ow_db_column_text (visits, 1),
        .window = ow_db_column_text (visits, 2),
        .staff = ow_db_column_text (visits, 3),
      };

      if (sqlite3_column_type (visits, 6) == SQLITE_NULL)
        continue;   /* never called: it only waited */
      record.kind = STAT_CALLED;
      record.hour = day_hours_of (&hours, sqlite3_column_int64 (visits, 6));
      record.wait_s = (sqlite3_column_int64 (visits, 6) - sqlite3_column_int64 (visits, 5)) / G_USEC_PER_SEC;
      day_add (out, &record);

      if (sqlite3_column_type (visits, 8) != SQLITE_NULL)
        record.hour = day_hours_of (&hours, sqlite3_column_int64 (visits, 8));
      if (g_strcmp0 (outcome, "done") == 0)
        {
          record.kind = STAT_SERVED;
          record.service_s = (sqlite3_column_int64 (visits, 8) - sqlite3_column_int64 (visits, 7)) / G_USEC_PER_SEC;
          record.overdue = sqlite3_column_int64 (visits, 9) > 0;
        }
      else if (g_strcmp0 (outcome, "no_show") == 0)
        record.kind = STAT_NO_SHOW;
      else if (g_strcmp0 (outcome, "returned") == 0)
        record.kind = STAT_RETURNED;
      else
        continue;
      day_add (out, &record);
    }
  return rc == SQLITE_DONE;
}

static gboolean
store_day (OwDb       *db,
           const char *day,
           OwStatDay  *figures,
           GError    **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  GHashTableIter iter;
  gpointer key, value;

  /* Rows of a day that was open when the database was upgraded (db/004-sealed-stats.sql). */
  for (int i = 0; i < 2; i++)
    {
      stmt = ow_db_prepare (db, i == 0 ? "DELETE FROM stat_daily WHERE day = ?1"
                                       : "DELETE FROM stat_hist WHERE day = ?1", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, day, -1, SQLITE_STATIC);
      if (!ow_db_step_done (db, stmt, error))
        return FALSE;
      ow_db_release (g_steal_pointer (&stmt));
    }

  g_hash_table_iter_init (&iter, figures->counts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const OwStatCounts *c = value;

      stmt = ow_db_prepare (db,
                            "INSERT INTO stat_daily (day, dim, issued, called, served, no_shows, returned,"
                            " wait_n, wait_sum, service_n, service_sum, overdue)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                            error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, day, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, key, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, c->issued);
      sqlite3_bind_int64 (stmt, 4, c->called);
      sqlite3_bind_int64 (stmt, 5, c->served);
      sqlite3_bind_int64 (stmt, 6, c->no_shows);
      sqlite3_bind_int64 (stmt, 7, c->returned);
      sqlite3_bind_int64 (stmt, 8, c->wait_n);
      sqlite3_bind_int64 (stmt, 9, c->wait_sum);
      sqlite3_bind_int64 (stmt, 10, c->service_n);
      sqlite3_bind_int64 (stmt, 11, c->service_sum);
      sqlite3_bind_int64 (stmt, 12, c->overdue);
      if (!ow_db_step_done (db, stmt, error))
        return FALSE;
      ow_db_release (g_steal_pointer (&stmt));
    }

  g_hash_table_iter_init (&iter, figures->hists);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GArray *counts = value;

      for (guint i = 0; i < counts->len; i++)
        g_array_index (counts, guint32, i) = GUINT32_TO_LE (g_array_index (counts, guint32, i));
      stmt = ow_db_prepare (db, "INSERT INTO stat_hist (day, dim, counts) VALUES (?1, ?2, ?3)", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, day, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, key, -1, SQLITE_STATIC);
      sqlite3_bind_blob (stmt, 3, counts->data, counts->len * sizeof (guint32), SQLITE_STATIC);
      if (!ow_db_step_done (db, stmt, error))
        return FALSE;
      ow_db_release (g_steal_pointer (&stmt));
    }
  return TRUE;
}

gboolean
ow_stats_seal (OwDb        *db,
               OwClock     *clock,
               const char  *before_day,
               GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) days = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *sealed = NULL;
  int rc;

  g_return_val_if_fail (OW_IS_DB (db), FALSE);
  g_return_val_if_fail (before_day != NULL, FALSE);

  sealed = ow_db_get_setting (db, "stats_sealed_before");
  if (g_strcmp0 (sealed, before_day) >= 0)
    return TRUE;

  stmt = ow_db_prepare (db, "SELECT DISTINCT day FROM counters WHERE day >= ?1 AND day < ?2 ORDER BY day",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, sealed != NULL ? sealed : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, before_day, -1, SQLITE_STATIC);
  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (days, g_strdup (ow_db_column_text (stmt, 0)));
  if (rc < 0)
    return FALSE;
  ow_db_release (g_steal_pointer (&stmt));

  for (guint i = 0; i < days->len; i++)
    {
      const char *day = g_ptr_array_index (days, i);
      g_autoptr(OwStatDay) figures = ow_stat_day_new ();

      if (!ow_stat_day_collect (db, clock, day, figures, error) ||
          !store_day (db, day, figures, error))
        return FALSE;
    }
  return ow_db_set_setting (db, "stats_sealed_before", before_day, error);
}
