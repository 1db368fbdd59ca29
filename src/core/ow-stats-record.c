/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-stats.h"

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

static gboolean
bump_daily (OwDb               *db,
            const char         *day,
            const char         *dim,
            const OwStatRecord *r,
            GError            **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = ow_db_prepare (db,
                        "INSERT INTO stat_daily (day, dim, issued, called, served, no_shows, returned,"
                        " wait_n, wait_sum, service_n, service_sum, overdue)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
                        " ON CONFLICT (day, dim) DO UPDATE SET"
                        " issued = issued + excluded.issued, called = called + excluded.called,"
                        " served = served + excluded.served, no_shows = no_shows + excluded.no_shows,"
                        " returned = returned + excluded.returned, wait_n = wait_n + excluded.wait_n,"
                        " wait_sum = wait_sum + excluded.wait_sum,"
                        " service_n = service_n + excluded.service_n,"
                        " service_sum = service_sum + excluded.service_sum,"
                        " overdue = overdue + excluded.overdue",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, day, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, dim, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 3, r->kind == OW_STAT_ISSUED);
  sqlite3_bind_int (stmt, 4, r->kind == OW_STAT_CALLED);
  sqlite3_bind_int (stmt, 5, r->kind == OW_STAT_SERVED);
  sqlite3_bind_int (stmt, 6, r->kind == OW_STAT_NO_SHOW);
  sqlite3_bind_int (stmt, 7, r->kind == OW_STAT_RETURNED);
  sqlite3_bind_int (stmt, 8, r->kind == OW_STAT_CALLED);
  sqlite3_bind_int64 (stmt, 9, r->kind == OW_STAT_CALLED ? r->wait_s : 0);
  sqlite3_bind_int (stmt, 10, r->kind == OW_STAT_SERVED);
  sqlite3_bind_int64 (stmt, 11, r->kind == OW_STAT_SERVED ? r->service_s : 0);
  sqlite3_bind_int (stmt, 12, r->kind == OW_STAT_SERVED && r->overdue);
  return ow_db_step_done (db, stmt, error);
}

static gboolean
bump_hist (OwDb       *db,
           const char *day,
           const char *dim,
           gint64      seconds,
           GError    **error)
{
  g_autoptr(sqlite3_stmt) read = NULL;
  g_autoptr(sqlite3_stmt) write = NULL;
  g_autoptr(GByteArray) counts = g_byte_array_new ();
  guint bucket = ow_stats_bucket (seconds);
  guint32 n;
  int rc;

  read = ow_db_prepare (db, "SELECT counts FROM stat_hist WHERE day = ?1 AND dim = ?2", error);
  if (read == NULL)
    return FALSE;
  sqlite3_bind_text (read, 1, day, -1, SQLITE_STATIC);
  sqlite3_bind_text (read, 2, dim, -1, SQLITE_STATIC);
  rc = ow_db_step_row (db, read, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    g_byte_array_append (counts, sqlite3_column_blob (read, 0), sqlite3_column_bytes (read, 0));
  ow_db_release (g_steal_pointer (&read));

  if (counts->len < (bucket + 1) * 4)
    {
      guint old_len = counts->len;

      g_byte_array_set_size (counts, (bucket + 1) * 4);
      memset (counts->data + old_len, 0, counts->len - old_len);
    }
  n = GUINT32_FROM_LE (((guint32 *) counts->data)[bucket]) + 1;
  ((guint32 *) counts->data)[bucket] = GUINT32_TO_LE (n);

  write = ow_db_prepare (db,
                         "INSERT INTO stat_hist (day, dim, counts) VALUES (?1, ?2, ?3)"
                         " ON CONFLICT (day, dim) DO UPDATE SET counts = excluded.counts",
                         error);
  if (write == NULL)
    return FALSE;
  sqlite3_bind_text (write, 1, day, -1, SQLITE_STATIC);
  sqlite3_bind_text (write, 2, dim, -1, SQLITE_STATIC);
  sqlite3_bind_blob (write, 3, counts->data, counts->len, SQLITE_STATIC);
  return ow_db_step_done (db, write, error);
}

gboolean
ow_stats_record (OwDb               *db,
                 const char         *day,
                 const OwStatRecord *record,
                 GError            **error)
{
  g_autofree char *service_dim = NULL;
  g_autofree char *step_dim = NULL;
  g_autofree char *window_dim = NULL;
  g_autofree char *staff_dim = NULL;

  g_return_val_if_fail (day != NULL && record != NULL, FALSE);

  if (!bump_daily (db, day, "", record, error))
    return FALSE;
  if (record->service != NULL)
    {
      service_dim = g_strconcat ("service:", record->service, NULL);
      if (!bump_daily (db, day, service_dim, record, error))
        return FALSE;
    }
  /* Issuing happens before any step, window or staff is involved. */
  if (record->kind == OW_STAT_ISSUED)
    return TRUE;
  if (record->step != NULL)
    {
      step_dim = g_strconcat ("step:", record->step, NULL);
      if (!bump_daily (db, day, step_dim, record, error))
        return FALSE;
    }
  if (record->window != NULL)
    {
      window_dim = g_strconcat ("window:", record->window, NULL);
      if (!bump_daily (db, day, window_dim, record, error))
        return FALSE;
    }
  if (record->staff != NULL)
    {
      staff_dim = g_strconcat ("staff:", record->staff, NULL);
      if (!bump_daily (db, day, staff_dim, record, error))
        return FALSE;
    }

  if (record->kind == OW_STAT_CALLED)
    {
      if (!bump_hist (db, day, "wait", record->wait_s, error))
        return FALSE;
    }
  else if (record->kind == OW_STAT_SERVED && record->step != NULL)
    {
      g_autofree char *hist_dim = g_strconcat ("service:", record->step, NULL);

      if (!bump_hist (db, day, hist_dim, record->service_s, error))
        return FALSE;
    }

  return TRUE;
}
