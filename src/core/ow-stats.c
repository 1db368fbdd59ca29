/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-stats.h"
#include "ow-stats-day.h"
#include "ow-json.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* Statistics of a finished day are read from the aggregates (stat_daily, stat_hist) stored
 * once when it ended (ow_stats_seal ()), so a year of a busy hall costs tens of thousands of
 * aggregate rows rather than millions of visits.  Days not stored yet (today, usually) are
 * worked out from their tickets and visits (ow_stat_day_collect ()).  The only other read of
 * raw rows is the list of the worst overdue steps, through the partial index visits_overdue. */

#define OVERDUE_CASES 100

typedef struct
{
  OwStatCounts n;
  gboolean     listed;   /* already written out under its catalogue row */
} Totals;

/* Counts per bucket (see ow_stats_bucket()); merged over the days of the range. */
typedef struct
{
  GArray *counts;    /* gint64 per bucket */
  gint64  n;
} Hist;

static Hist *
hist_new (void)
{
  Hist *hist = g_new0 (Hist, 1);

  hist->counts = g_array_new (FALSE, TRUE, sizeof (gint64));
  return hist;
}

static void
hist_free (Hist *hist)
{
  g_array_unref (hist->counts);
  g_free (hist);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Hist, hist_free)

static void
hist_add (Hist   *hist,
          int     bucket,
          gint64  n)
{
  if (bucket < 0)
    bucket = 0;
  if ((guint) bucket >= hist->counts->len)
    g_array_set_size (hist->counts, bucket + 1);
  g_array_index (hist->counts, gint64, bucket) += n;
  hist->n += n;
}

/* Adds a stored histogram: an array of little-endian 32-bit counts, one per bucket. */
static void
hist_add_counts (Hist         *hist,
                 sqlite3_stmt *row,
                 int           column)
{
  const guint8 *data = sqlite3_column_blob (row, column);
  int buckets = sqlite3_column_bytes (row, column) / 4;

  for (int i = 0; i < buckets; i++)
    {
      guint32 n;

      memcpy (&n, data + 4 * i, 4);
      n = GUINT32_FROM_LE (n);
      if (n != 0)
        hist_add (hist, i, n);
    }
}

/* The smallest bucket value at which the cumulative count reaches ceil(percent% of n), or -1
 * when the histogram is empty.  Integer arithmetic, so ceil() is exact. */
static gint64
hist_percentile (const Hist *hist,
                 int         percent)
{
  gint64 target;
  gint64 seen = 0;

  if (hist == NULL || hist->n <= 0)
    return -1;
  target = (hist->n * percent + 99) / 100;
  if (target < 1)
    target = 1;
  for (guint i = 0; i < hist->counts->len; i++)
    {
      seen += g_array_index (hist->counts, gint64, i);
      if (seen >= target)
        return ow_stats_bucket_seconds ((int) i);
    }
  return ow_stats_bucket_seconds ((int) hist->counts->len - 1);
}

static void
set_percentile (JsonObject *object,
                const char *member,
                const Hist *hist,
                int         percent)
{
  gint64 value = hist_percentile (hist, percent);

  if (value < 0)
    json_object_set_null_member (object, member);
  else
    json_object_set_int_member (object, member, value);
}

/* A mean in seconds, or null when there is nothing to average. */
static void
set_mean (JsonObject *object,
          const char *member,
          gint64      sum,
          gint64      n)
{
  if (n > 0)
    json_object_set_double_member (object, member, (double) sum / (double) n);
  else
    json_object_set_null_member (object, member);
}

/* Catalogue names are stored as JSON objects {"zh_CN": ..., "en": ...}. */
static void
set_name (JsonObject *object,
          const char *member,
          const char *stored)
{
  g_autoptr(JsonNode) node = NULL;

  if (stored != NULL)
    node = json_from_string (stored, NULL);
  if (node != NULL)
    json_object_set_member (object, member, g_steal_pointer (&node));
  else
    ow_json_set_string_or_null (object, member, stored);
}

static const Totals empty_totals;

static const Totals *
lookup_totals (GHashTable *dims,
               const char *kind,
               const char *id)
{
  g_autofree char *dim = g_strconcat (kind, id, NULL);
  Totals *totals = g_hash_table_lookup (dims, dim);

  if (totals == NULL)
    return &empty_totals;
  totals->listed = TRUE;
  return totals;
}

static gboolean
has_totals (GHashTable *dims,
            const char *kind,
            const char *id)
{
  g_autofree char *dim = g_strconcat (kind, id, NULL);

  return g_hash_table_contains (dims, dim);
}

static gboolean
check_day (OwClock     *clock,
           const char  *day,
           gboolean     from,
           GError     **error)
{
  gint64 midnight = ow_clock_parse_day (clock, day);

  /* ow_clock_parse_day() lets through spellings such as ' 2026-03-2' or '2026-+3-02'; the
   * aggregates are keyed by the canonical spelling, so insist on it. */
  if (midnight >= 0)
    {
      g_autofree char *canonical = ow_clock_day (clock, midnight);

      if (g_strcmp0 (canonical, day) == 0)
        return TRUE;
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               from ? _("from day '%s' is not a date written YYYY-MM-DD")
                    : _("to day '%s' is not a date written YYYY-MM-DD"),
               day);
  return FALSE;
}

/* Adds one day's row of one dimension; the hall's row ('') also lists the day. */
static void
add_day_row (GHashTable         *dims,
             JsonArray          *days,
             const char         *day,
             const char         *dim,
             const OwStatCounts *row)
{
  Totals *totals = g_hash_table_lookup (dims, dim);

  if (totals == NULL)
    {
      totals = g_new0 (Totals, 1);
      g_hash_table_insert (dims, g_strdup (dim), totals);
    }
  totals->n.issued += row->issued;
  totals->n.called += row->called;
  totals->n.served += row->served;
  totals->n.no_shows += row->no_shows;
  totals->n.returned += row->returned;
  totals->n.wait_n += row->wait_n;
  totals->n.wait_sum += row->wait_sum;
  totals->n.service_n += row->service_n;
  totals->n.service_sum += row->service_sum;
  totals->n.overdue += row->overdue;

  if (dim[0] == '\0')
    {
      JsonObject *entry = json_object_new ();

      json_object_set_string_member (entry, "day", day);
      json_object_set_int_member (entry, "issued", row->issued);
      json_object_set_int_member (entry, "served", row->served);
      json_object_set_int_member (entry, "no_shows", row->no_shows);
      json_object_set_int_member (entry, "returned", row->returned);
      json_array_add_object_element (days, entry);
    }
}

/* One pass over stat_daily for the stored days of the range: totals per dimension, and the
 * hall's row per day. */
static gboolean
read_daily (OwDb        *db,
            const char  *from,
            const char  *to,
            const char  *sealed_before,
            GHashTable  *dims,
            JsonArray   *days,
            GPtrArray   *day_names,
            GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = ow_db_prepare (db,
                        "SELECT day, dim, issued, called, served, no_shows, returned, wait_n,"
                        " wait_sum, service_n, service_sum, overdue"
                        " FROM stat_daily WHERE day BETWEEN ?1 AND ?2 AND day < ?3",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, from, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, to, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, sealed_before, -1, SQLITE_STATIC);

  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    {
      const char *day = ow_db_column_text (stmt, 0);
      const char *dim = ow_db_column_text (stmt, 1);
      OwStatCounts row = {
        .issued = sqlite3_column_int64 (stmt, 2),
        .called = sqlite3_column_int64 (stmt, 3),
        .served = sqlite3_column_int64 (stmt, 4),
        .no_shows = sqlite3_column_int64 (stmt, 5),
        .returned = sqlite3_column_int64 (stmt, 6),
        .wait_n = sqlite3_column_int64 (stmt, 7),
        .wait_sum = sqlite3_column_int64 (stmt, 8),
        .service_n = sqlite3_column_int64 (stmt, 9),
        .service_sum = sqlite3_column_int64 (stmt, 10),
        .overdue = sqlite3_column_int64 (stmt, 11),
      };

      /* Rows come in primary key order, so the days come out sorted. */
      add_day_row (dims, days, day, dim, &row);
      if (dim[0] == '\0')
        g_ptr_array_add (day_names, g_strdup (day));
    }

  return rc == SQLITE_DONE;
}

static Hist *
service_hist (GHashTable *service_hists,
              const char *step)
{
  Hist *hist = g_hash_table_lookup (service_hists, step);

  if (hist == NULL)
    {
      hist = hist_new ();
      g_hash_table_insert (service_hists, g_strdup (step), hist);
    }
  return hist;
}

/* The days of the range not stored yet, each worked out from its tickets and visits.  They
 * all come after the stored ones. */
static gboolean
read_open_days (OwDb        *db,
                OwClock     *clock,
                const char  *from,
                const char  *to,
                const char  *sealed_before,
                GHashTable  *dims,
                JsonArray   *days,
                Hist        *wait,
                GHashTable  *service_hists,
                GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) open_days = g_ptr_array_new_with_free_func (g_free);
  int rc;

  stmt = ow_db_prepare (db,
                        "SELECT DISTINCT day FROM counters WHERE day BETWEEN ?1 AND ?2 AND day >= ?3"
                        " ORDER BY day",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, from, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, to, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, sealed_before, -1, SQLITE_STATIC);
  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (open_days, g_strdup (ow_db_column_text (stmt, 0)));
  if (rc < 0)
    return FALSE;
  ow_db_release (g_steal_pointer (&stmt));

  for (guint i = 0; i < open_days->len; i++)
    {
      const char *day = g_ptr_array_index (open_days, i);
      g_autoptr(OwStatDay) figures = ow_stat_day_new ();
      const OwStatCounts *hall;
      GHashTableIter iter;
      gpointer key, value;

      if (!ow_stat_day_collect (db, clock, day, figures, error))
        return FALSE;
      /* The hall's row first: it lists the day. */
      hall = g_hash_table_lookup (figures->counts, "");
      if (hall == NULL)
        continue;
      add_day_row (dims, days, day, "", hall);
      g_hash_table_iter_init (&iter, figures->counts);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (((const char *) key)[0] != '\0')
          add_day_row (dims, days, day, key, value);

      g_hash_table_iter_init (&iter, figures->hists);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          GArray *counts = value;
          Hist *hist = g_str_equal (key, "wait") ? wait
                       : service_hist (service_hists, (const char *) key + strlen ("service:"));

          for (guint b = 0; b < counts->len; b++)
            if (g_array_index (counts, guint32, b) != 0)
              hist_add (hist, b, g_array_index (counts, guint32, b));
        }
    }
  return TRUE;
}

/* The histograms for the range, one day at a time: each day's 'wait' and 'service:STEP' rows
 * are a contiguous stretch of the primary key, whereas a single query over the range would
 * also have to step over every 'wait:STEP' row. */
static gboolean
read_histograms (OwDb        *db,
                 GPtrArray   *day_names,
                 Hist        *wait,
                 GHashTable  *service_hists,
                 GError     **error)
{
  for (guint i = 0; i < day_names->len; i++)
    {
      const char *day = g_ptr_array_index (day_names, i);
      g_autoptr(sqlite3_stmt) waits = NULL;
      g_autoptr(sqlite3_stmt) services = NULL;
      Hist *hist = NULL;
      int rc;

      waits = ow_db_prepare (db, "SELECT counts FROM stat_hist WHERE day = ?1 AND dim = 'wait'",
                             error);
      if (waits == NULL)
        return FALSE;
      sqlite3_bind_text (waits, 1, day, -1, SQLITE_STATIC);
      while ((rc = ow_db_step_row (db, waits, error)) == SQLITE_ROW)
        hist_add_counts (wait, waits, 0);
      if (rc < 0)
        return FALSE;
      ow_db_release (g_steal_pointer (&waits));

      services = ow_db_prepare (db,
                                "SELECT dim, counts FROM stat_hist"
                                " WHERE day = ?1 AND dim >= 'service:' AND dim < 'service;'",
                                error);
      if (services == NULL)
        return FALSE;
      sqlite3_bind_text (services, 1, day, -1, SQLITE_STATIC);
      while ((rc = ow_db_step_row (db, services, error)) == SQLITE_ROW)
        {
          hist = service_hist (service_hists, ow_db_column_text (services, 0) + strlen ("service:"));
          hist_add_counts (hist, services, 1);
        }
      if (rc < 0)
        return FALSE;
    }

  return TRUE;
}

static void
add_workload (JsonObject   *entry,
              const Totals *totals)
{
  json_object_set_int_member (entry, "called", totals->n.called);
  json_object_set_int_member (entry, "served", totals->n.served);
  json_object_set_int_member (entry, "service_s", totals->n.service_sum);
  set_mean (entry, "mean_service_s", totals->n.service_sum, totals->n.service_n);
}

static void
add_service_counts (JsonObject   *entry,
                    const Totals *totals)
{
  json_object_set_int_member (entry, "issued", totals->n.issued);
  json_object_set_int_member (entry, "served", totals->n.served);
  json_object_set_int_member (entry, "no_shows", totals->n.no_shows);
  json_object_set_int_member (entry, "returned", totals->n.returned);
}

static void
add_step_figures (JsonObject   *entry,
                  const Totals *totals,
                  const Hist   *service)
{
  json_object_set_int_member (entry, "served", totals->n.served);
  set_mean (entry, "mean_service_s", totals->n.service_sum, totals->n.service_n);
  set_percentile (entry, "p90_service_s", service, 90);
  json_object_set_int_member (entry, "overdue", totals->n.overdue);
  set_mean (entry, "mean_wait_s", totals->n.wait_sum, totals->n.wait_n);
}

static int
compare_id_cb (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Dimensions with figures but no catalogue row (should not happen: catalogue rows are never
 * deleted) are still reported, after the others, so that no figure is lost. */
static GPtrArray *
unlisted_ids (GHashTable *dims,
              const char *kind)
{
  GPtrArray *ids = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key, value;
  gsize len = strlen (kind);

  g_hash_table_iter_init (&iter, dims);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const Totals *totals = value;

      if (!totals->listed && strncmp (key, kind, len) == 0)
        g_ptr_array_add (ids, (char *) key + len);
    }
  g_ptr_array_sort (ids, compare_id_cb);
  return ids;
}

static JsonArray *
list_steps (OwDb        *db,
            GHashTable  *dims,
            GHashTable  *service_hists,
            gint64      *out_completed,
            GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonArray) steps = json_array_new ();
  g_autoptr(GPtrArray) extra = NULL;
  g_autofree char *service_seen = NULL;
  gint64 completed = 0;
  gint64 final_served = 0;
  int final_active = -1;
  int final_position = 0;
  int rc;

  /* A ticket is completed when it finishes the final step of its service: the active step
   * with the highest position (or, for a retired service, the highest retired one).  Counting
   * those finishes keeps "completed" an aggregate read; it equals the number of tickets in
   * state 'completed' as long as tickets follow their service's flow. */
  stmt = ow_db_prepare (db,
                        "SELECT st.id, st.service, st.name, st.limit_minutes, st.active, st.position"
                        " FROM steps st LEFT JOIN services sv ON sv.code = st.service"
                        " ORDER BY sv.ord, st.service, st.position",
                        error);
  if (stmt == NULL)
    return NULL;

  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    {
      const char *id = ow_db_column_text (stmt, 0);
      const char *service = ow_db_column_text (stmt, 1);
      int active = sqlite3_column_int (stmt, 4) != 0;
      int position = sqlite3_column_int (stmt, 5);
      gboolean has_figures = has_totals (dims, "step:", id);
      const Totals *totals;
      JsonObject *entry;

      if (g_strcmp0 (service, service_seen) != 0)
        {
          completed += final_served;
          final_served = 0;
          final_active = -1;
          g_free (service_seen);
          service_seen = g_strdup (service);
        }

      if (!active && !has_figures)
        continue;

      totals = lookup_totals (dims, "step:", id);
      if (active > final_active || (active == final_active && position >= final_position))
        {
          final_active = active;
          final_position = position;
          final_served = totals->n.served;
        }

      entry = json_object_new ();
      json_object_set_string_member (entry, "step", id);
      json_object_set_string_member (entry, "service", service);
      set_name (entry, "name", ow_db_column_text (stmt, 2));
      json_object_set_int_member (entry, "limit_minutes", sqlite3_column_int (stmt, 3));
      add_step_figures (entry, totals, g_hash_table_lookup (service_hists, id));
      json_array_add_object_element (steps, entry);
    }
  if (rc < 0)
    return NULL;
  completed += final_served;

  extra = unlisted_ids (dims, "step:");
  for (guint i = 0; i < extra->len; i++)
    {
      const char *id = g_ptr_array_index (extra, i);
      JsonObject *entry = json_object_new ();

      json_object_set_string_member (entry, "step", id);
      json_object_set_null_member (entry, "service");
      json_object_set_null_member (entry, "name");
      json_object_set_null_member (entry, "limit_minutes");
      add_step_figures (entry, lookup_totals (dims, "step:", id),
                        g_hash_table_lookup (service_hists, id));
      json_array_add_object_element (steps, entry);
    }

  *out_completed = completed;
  return g_steal_pointer (&steps);
}

static JsonArray *
list_windows (OwDb        *db,
              GHashTable  *dims,
              GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonArray) windows = json_array_new ();
  g_autoptr(GPtrArray) extra = NULL;
  int rc;

  stmt = ow_db_prepare (db, "SELECT id, number, active, name FROM windows ORDER BY ord, number, id",
                        error);
  if (stmt == NULL)
    return NULL;

  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    {
      const char *id = ow_db_column_text (stmt, 0);
      JsonObject *entry;

      if (sqlite3_column_int (stmt, 2) == 0 && !has_totals (dims, "window:", id))
        continue;

      entry = json_object_new ();
      json_object_set_string_member (entry, "window", id);
      json_object_set_int_member (entry, "number", sqlite3_column_int (stmt, 1));
      set_name (entry, "name", ow_db_column_text (stmt, 3));
      add_workload (entry, lookup_totals (dims, "window:", id));
      json_array_add_object_element (windows, entry);
    }
  if (rc < 0)
    return NULL;

  extra = unlisted_ids (dims, "window:");
  for (guint i = 0; i < extra->len; i++)
    {
      const char *id = g_ptr_array_index (extra, i);
      JsonObject *entry = json_object_new ();

      json_object_set_string_member (entry, "window", id);
      json_object_set_null_member (entry, "number");
      json_object_set_null_member (entry, "name");
      add_workload (entry, lookup_totals (dims, "window:", id));
      json_array_add_object_element (windows, entry);
    }

  return g_steal_pointer (&windows);
}

static JsonArray *
list_staff (OwDb        *db,
            GHashTable  *dims,
            GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonArray) staff = json_array_new ();
  g_autoptr(GPtrArray) extra = NULL;
  int rc;

  /* Active counter staff are listed even when idle in the range; others only when they
   * worked in it (a supervisor may stand in at a window). */
  stmt = ow_db_prepare (db, "SELECT id, name, role = 'counter' AND active FROM staff ORDER BY id",
                        error);
  if (stmt == NULL)
    return NULL;

  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    {
      const char *id = ow_db_column_text (stmt, 0);
      JsonObject *entry;

      if (sqlite3_column_int (stmt, 2) == 0 && !has_totals (dims, "staff:", id))
        continue;

      entry = json_object_new ();
      json_object_set_string_member (entry, "staff", id);
      json_object_set_string_member (entry, "name", ow_db_column_text (stmt, 1));
      add_workload (entry, lookup_totals (dims, "staff:", id));
      json_array_add_object_element (staff, entry);
    }
  if (rc < 0)
    return NULL;

  extra = unlisted_ids (dims, "staff:");
  for (guint i = 0; i < extra->len; i++)
    {
      const char *id = g_ptr_array_index (extra, i);
      JsonObject *entry = json_object_new ();

      json_object_set_string_member (entry, "staff", id);
      json_object_set_null_member (entry, "name");
      add_workload (entry, lookup_totals (dims, "staff:", id));
      json_array_add_object_element (staff, entry);
    }

  return g_steal_pointer (&staff);
}

static JsonArray *
list_services (OwDb        *db,
               GHashTable  *dims,
               GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonArray) services = json_array_new ();
  g_autoptr(GPtrArray) extra = NULL;
  int rc;

  stmt = ow_db_prepare (db, "SELECT code, name, active FROM services ORDER BY ord, code", error);
  if (stmt == NULL)
    return NULL;

  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    {
      const char *code = ow_db_column_text (stmt, 0);
      JsonObject *entry;

      if (sqlite3_column_int (stmt, 2) == 0 && !has_totals (dims, "service:", code))
        continue;

      entry = json_object_new ();
      json_object_set_string_member (entry, "service", code);
      set_name (entry, "name", ow_db_column_text (stmt, 1));
      add_service_counts (entry, lookup_totals (dims, "service:", code));
      json_array_add_object_element (services, entry);
    }
  if (rc < 0)
    return NULL;

  extra = unlisted_ids (dims, "service:");
  for (guint i = 0; i < extra->len; i++)
    {
      const char *code = g_ptr_array_index (extra, i);
      JsonObject *entry = json_object_new ();

      json_object_set_string_member (entry, "service", code);
      json_object_set_null_member (entry, "name");
      add_service_counts (entry, lookup_totals (dims, "service:", code));
      json_array_add_object_element (services, entry);
    }

  return g_steal_pointer (&services);
}

/* The range's figures by local hour of the day (what happened between 09:00 and 09:59 on any
 * of its days counts for 9): issuing by the hour of issue, calls by the hour of the call, and
 * served, no-show and returned by the hour the step ended. */
static JsonArray *
list_hours (GHashTable *dims)
{
  JsonArray *hours = json_array_new ();

  for (int hour = 0; hour < 24; hour++)
    {
      char id[4];
      const Totals *totals;
      JsonObject *entry;

      g_snprintf (id, sizeof id, "%02d", hour);
      if (!has_totals (dims, "hour:", id))
        continue;
      totals = lookup_totals (dims, "hour:", id);
      entry = json_object_new ();
      json_object_set_int_member (entry, "hour", hour);
      json_object_set_int_member (entry, "issued", totals->n.issued);
      json_object_set_int_member (entry, "called", totals->n.called);
      json_object_set_int_member (entry, "served", totals->n.served);
      json_object_set_int_member (entry, "no_shows", totals->n.no_shows);
      json_object_set_int_member (entry, "returned", totals->n.returned);
      set_mean (entry, "mean_wait_s", totals->n.wait_sum, totals->n.wait_n);
      json_array_add_object_element (hours, entry);
    }
  return hours;
}

/* The worst overdue steps of the range.  visits_overdue indexes only the overdue visits, and
 * the ranking reads nothing but that index; the visits' other columns, their tickets and
 * steps are fetched for the hundred chosen only, not for every overdue visit of the range. */
static JsonArray *
list_overdue_cases (OwDb        *db,
                    const char  *from,
                    const char  *to,
                    GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonArray) cases = json_array_new ();
  int rc;

  stmt = ow_db_prepare (db,
                        "SELECT t.number, v.day, v.step, v.window, v.staff, v.started_at,"
                        " v.ended_at, v.overdue_s, st.limit_minutes"
                        " FROM (SELECT id FROM visits"
                        "       WHERE day BETWEEN ?1 AND ?2 AND overdue_s > 0"
                        "       ORDER BY overdue_s DESC, id LIMIT " G_STRINGIFY (OVERDUE_CASES) ") worst"
                        " JOIN visits v ON v.id = worst.id"
                        " JOIN tickets t ON t.id = v.ticket"
                        " LEFT JOIN steps st ON st.id = v.step"
                        " ORDER BY v.overdue_s DESC, v.id",
                        error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, from, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, to, -1, SQLITE_STATIC);

  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *entry = json_object_new ();
      gint64 over_s = sqlite3_column_int64 (stmt, 7);

      json_object_set_string_member (entry, "ticket", ow_db_column_text (stmt, 0));
      json_object_set_string_member (entry, "day", ow_db_column_text (stmt, 1));
      json_object_set_string_member (entry, "step", ow_db_column_text (stmt, 2));
      ow_json_set_string_or_null (entry, "window", ow_db_column_text (stmt, 3));
      ow_json_set_string_or_null (entry, "staff", ow_db_column_text (stmt, 4));
      if (sqlite3_column_type (stmt, 5) != SQLITE_NULL && sqlite3_column_type (stmt, 6) != SQLITE_NULL)
        json_object_set_int_member (entry, "service_s",
                                    (sqlite3_column_int64 (stmt, 6) -
                                     sqlite3_column_int64 (stmt, 5)) / G_USEC_PER_SEC);
      else
        json_object_set_null_member (entry, "service_s");
      /* The step's current limit: catalogue imports keep a step's id but may change it. */
      if (sqlite3_column_type (stmt, 8) != SQLITE_NULL)
        json_object_set_int_member (entry, "limit_s", sqlite3_column_int64 (stmt, 8) * 60);
      else
        json_object_set_null_member (entry, "limit_s");
      json_object_set_int_member (entry, "over_s", over_s);
      json_array_add_object_element (cases, entry);
    }
  if (rc < 0)
    return NULL;

  return g_steal_pointer (&cases);
}

JsonObject *
ow_stats_query (OwDb        *db,
                OwClock     *clock,
                const char  *from_day,
                const char  *to_day,
                GError     **error)
{
  g_autoptr(GHashTable) dims = NULL;
  g_autoptr(GHashTable) service_hists = NULL;
  g_autoptr(GPtrArray) day_names = NULL;
  g_autoptr(JsonArray) days = NULL;
  g_autoptr(JsonArray) steps = NULL;
  g_autoptr(JsonArray) windows = NULL;
  g_autoptr(JsonArray) staff = NULL;
  g_autoptr(JsonArray) services = NULL;
  g_autoptr(JsonArray) cases = NULL;
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *today = NULL;
  g_autofree char *sealed_before = NULL;
  g_autoptr(Hist) wait = NULL;
  const Totals *hall;
  JsonObject *wait_object;
  JsonObject *overdue_object;
  gint64 completed = 0;

  g_return_val_if_fail (OW_IS_DB (db), NULL);
  g_return_val_if_fail (OW_IS_CLOCK (clock), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (from_day == NULL || to_day == NULL)
    today = ow_clock_day (clock, ow_clock_now (clock));
  if (from_day == NULL)
    from_day = today;
  if (to_day == NULL)
    to_day = today;
  if (!check_day (clock, from_day, TRUE, error) || !check_day (clock, to_day, FALSE, error))
    return NULL;
  /* Canonical 'YYYY-MM-DD' strings compare like the dates they name. */
  if (strcmp (from_day, to_day) > 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("from day '%s' is after to day '%s'"), from_day, to_day);
      return NULL;
    }

  dims = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  service_hists = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) hist_free);
  day_names = g_ptr_array_new_with_free_func (g_free);
  days = json_array_new ();
  wait = hist_new ();

  /* One read transaction: the figures all describe the same instant. */
  if (!ow_db_begin (db, FALSE, error))
    return NULL;

  sealed_before = ow_db_get_setting (db, "stats_sealed_before");
  if (sealed_before == NULL)
    sealed_before = g_strdup ("");
  if (!read_daily (db, from_day, to_day, sealed_before, dims, days, day_names, error) ||
      !read_histograms (db, day_names, wait, service_hists, error) ||
      !read_open_days (db, clock, from_day, to_day, sealed_before, dims, days, wait, service_hists, error) ||
      (steps = list_steps (db, dims, service_hists, &completed, error)) == NULL ||
      (windows = list_windows (db, dims, error)) == NULL ||
      (staff = list_staff (db, dims, error)) == NULL ||
      (services = list_services (db, dims, error)) == NULL ||
      (cases = list_overdue_cases (db, from_day, to_day, error)) == NULL)
    {
      ow_db_rollback (db);
      return NULL;
    }
  ow_db_rollback (db);

  hall = g_hash_table_lookup (dims, "");
  if (hall == NULL)
    hall = &empty_totals;

  result = json_object_new ();
  json_object_set_string_member (result, "from", from_day);
  json_object_set_string_member (result, "to", to_day);
  json_object_set_int_member (result, "issued", hall->n.issued);
  json_object_set_int_member (result, "served", hall->n.served);
  json_object_set_int_member (result, "completed", completed);
  json_object_set_int_member (result, "no_shows", hall->n.no_shows);
  json_object_set_int_member (result, "returned", hall->n.returned);

  wait_object = json_object_new ();
  json_object_set_int_member (wait_object, "n", hall->n.wait_n);
  set_mean (wait_object, "mean_s", hall->n.wait_sum, hall->n.wait_n);
  set_percentile (wait_object, "p50_s", wait, 50);
  set_percentile (wait_object, "p90_s", wait, 90);
  json_object_set_object_member (result, "wait", wait_object);

  json_object_set_array_member (result, "steps", g_steal_pointer (&steps));
  json_object_set_array_member (result, "windows", g_steal_pointer (&windows));
  json_object_set_array_member (result, "staff", g_steal_pointer (&staff));
  json_object_set_array_member (result, "services", g_steal_pointer (&services));
  json_object_set_array_member (result, "days", g_steal_pointer (&days));
  json_object_set_array_member (result, "hours", list_hours (dims));

  overdue_object = json_object_new ();
  json_object_set_int_member (overdue_object, "total", hall->n.overdue);
  json_object_set_array_member (overdue_object, "cases", g_steal_pointer (&cases));
  json_object_set_object_member (result, "overdue", overdue_object);

  return g_steal_pointer (&result);
}
