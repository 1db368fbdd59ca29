/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ow-core.h"
#include "ow-test-common.h"  /* remove_tree () */

/* How fast are the statistics of a year of a busy hall?
 *
 * Generates the year with the real engine on a virtual clock: every ticket is issued, called,
 * started and completed through OwHall, so stat_daily, stat_hist, visits and the audit log
 * are exactly what a hall would accumulate.  The database is generated on tmpfs (/dev/shm
 * when there is one): on disk, with the hall's durable settings (WAL, synchronous=FULL),
 * each of the ~6 million operations would wait for an fsync and the year would take hours.
 * Not in SQLite's :memory: either: there every commit's cost grows with the database
 * (SQLite 3.40 scans the whole page cache at the end of each transaction), and a year took
 * hours with the hall's 1 KiB pages.  ow_stats_query() is timed over the whole year there,
 * and again after the database is saved with VACUUM INTO to FILE and reopened.
 *
 * The hall: twelve services of one to three steps (1.75 on average, so a ticket makes about
 * 6.25 audit events) in four departments, each department with enough windows for 80% load,
 * open 08:00-18:00 every day, exponential service times of four minutes on average, 3% of
 * calls a no-show and 2% of services a return for missing documents. */

#define OPEN_HOUR 8
#define ARRIVAL_HOURS 10.0
#define SERVICE_MINUTES 4.0
#define TARGET_LOAD 0.8
#define NO_SHOW_SHARE 0.03
#define RETURN_SHARE 0.02
#define QUERY_RUNS 5

typedef struct
{
  const char *code;
  const char *zh;
  const char *en;
  int         department;
  int         steps;
  int         limit_minutes;
} BenchService;

static const BenchService services[] = {
  { "biz-reg", "个体工商户登记", "Sole proprietor registration", 0, 3, 15 },
  { "biz-change", "变更登记", "Change registration", 0, 2, 15 },
  { "food", "食品经营许可", "Food business licence", 0, 2, 20 },
  { "pension", "养老保险参保", "Pension enrolment", 1, 1, 10 },
  { "medical", "医保报销", "Medical insurance claims", 1, 1, 15 },
  { "unemployment", "失业登记", "Unemployment registration", 1, 2, 10 },
  { "property", "不动产登记", "Property registration", 2, 3, 20 },
  { "property-query", "不动产查询", "Property records search", 2, 1, 10 },
  { "planning", "规划许可", "Planning permit", 2, 2, 15 },
  { "dibao", "低保申请", "Minimum living allowance", 3, 1, 15 },
  { "marriage", "婚姻登记", "Marriage registration", 3, 2, 10 },
  { "enrolment", "入学登记", "School enrolment", 3, 1, 10 },
};

static const char *departments[] = { "market", "hrss", "natres", "civil" };
static const char *department_prefixes[] = { "A", "B", "C", "D" };

typedef struct
{
  char   *number;
  guint   service;
  int     position;
  int     no_shows;
  gint64  queued_at;
} Ticket;

typedef struct
{
  char    *id;
  char    *staff;
  int      department;
  gboolean busy;
  gboolean returning;   /* the current service ends with a return */
  gint64   done_at;
  Ticket  *ticket;
} Window;

typedef struct
{
  OwHall     *hall;
  OwClock    *clock;
  GRand      *rand;
  GPtrArray  *windows;
  GHashTable *tickets;            /* number -> Ticket, for the current day */
  guint       waiting[G_N_ELEMENTS (services)][3];
  guint       dept_waiting[G_N_ELEMENTS (departments)];
  gint64      issued;
  gint64      operations;
} Bench;

static double
exponential (GRand  *rand,
             double  mean)
{
  return -log (1.0 - g_rand_double (rand)) * mean;
}

static void
ticket_free (gpointer data)
{
  Ticket *ticket = data;

  g_free (ticket->number);
  g_free (ticket);
}

static void
window_free (gpointer data)
{
  Window *window = data;

  g_free (window->id);
  g_free (window->staff);
  g_free (window);
}

static char *
step_id (guint service,
         int   position)
{
  return g_strdup_printf ("%s/s%d", services[service].code, position + 1);
}

static char *
build_catalog (const guint *windows_per_department)
{
  g_autoptr(GString) json = g_string_new (NULL);
  guint number = 1;

  g_string_append (json,
                   "{\"hall\": {\"name\": {\"zh_CN\": \"基准测试大厅\", \"en\": \"Benchmark hall\"}},"
                   " \"rules\": {\"no_show_limit\": 2},"
                   " \"departments\": [");
  for (guint d = 0; d < G_N_ELEMENTS (departments); d++)
    g_string_append_printf (json, "%s{\"id\": \"%s\", \"name\": {\"zh_CN\": \"%s\", \"en\": \"%s\"}}",
                            d > 0 ? ", " : "", departments[d], departments[d], departments[d]);
  g_string_append (json,
                   "], \"documents\": [{\"id\": \"id-card\","
                   " \"name\": {\"zh_CN\": \"居民身份证\", \"en\": \"ID card\"}},"
                   " {\"id\": \"form\", \"name\": {\"zh_CN\": \"申请表\", \"en\": \"Application form\"}}],"
                   " \"services\": [");
  for (guint s = 0; s < G_N_ELEMENTS (services); s++)
    {
      g_string_append_printf (json,
                              "%s{\"code\": \"%s\", \"prefix\": \"%s\", \"department\": \"%s\","
                              " \"name\": {\"zh_CN\": \"%s\", \"en\": \"%s\"}, \"daily_cap\": 9999,"
                              " \"hours\": [\"08:00-18:00\"], \"green_channel\": false,"
                              " \"documents\": [\"id-card\", \"form\"], \"steps\": [",
                              s > 0 ? ", " : "", services[s].code,
                              department_prefixes[services[s].department],
                              departments[services[s].department], services[s].zh, services[s].en);
      for (int p = 0; p < services[s].steps; p++)
        {
          g_autofree char *id = step_id (s, p);

          g_string_append_printf (json,
                                  "%s{\"id\": \"%s\", \"name\": {\"zh_CN\": \"第%d步\", \"en\": \"Step %d\"},"
                                  " \"limit_minutes\": %d}",
                                  p > 0 ? ", " : "", id, p + 1, p + 1, services[s].limit_minutes);
        }
      g_string_append (json, "]}");
    }
  g_string_append (json, "], \"windows\": [");
  for (guint d = 0; d < G_N_ELEMENTS (departments); d++)
    for (guint w = 0; w < windows_per_department[d]; w++, number++)
      {
        gboolean first_step = TRUE;

        g_string_append_printf (json,
                                "%s{\"id\": \"w%u\", \"number\": %u,"
                                " \"name\": {\"zh_CN\": \"%u号窗口\", \"en\": \"Window %u\"}, \"steps\": [",
                                number > 1 ? ", " : "", number, number, number, number);
        for (guint s = 0; s < G_N_ELEMENTS (services); s++)
          for (int p = 0; p < services[s].steps && services[s].department == (int) d; p++)
            {
              g_autofree char *id = step_id (s, p);

              g_string_append_printf (json, "%s\"%s\"", first_step ? "" : ", ", id);
              first_step = FALSE;
            }
        g_string_append (json, "]}");
      }
  g_string_append (json, "]}");
  return g_string_free (g_steal_pointer (&json), FALSE);
}

static const char *
number_of (JsonObject *result)
{
  JsonObject *ticket = json_object_get_object_member (result, "ticket");

  return ticket != NULL ? json_object_get_string_member (ticket, "number") : NULL;
}

static JsonObject *
window_act (Bench          *bench,
            Window         *window,
            OwWindowAction  action)
{
  static const char * const missing[] = { "form", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *actor_name = g_strconcat ("staff:", window->staff, NULL);
  OwActor actor = { actor_name, "bench" };
  OwWindowArgs args = { .staff = window->staff, .missing = missing };
  JsonObject *result;

  result = ow_hall_window_act (bench->hall, &actor, window->id, action, &args, &error);
  if (result == NULL)
    g_error ("window %s, %s: %s", window->id, ow_hall_window_action_to_string (action),
             error->message);
  bench->operations++;
  return result;
}

static void
enqueue (Bench  *bench,
         Ticket *ticket,
         gint64  now)
{
  ticket->queued_at = now;
  bench->waiting[ticket->service][ticket->position]++;
  bench->dept_waiting[services[ticket->service].department]++;
}

static void
dequeue (Bench  *bench,
         Ticket *ticket)
{
  bench->waiting[ticket->service][ticket->position]--;
  bench->dept_waiting[services[ticket->service].department]--;
}

/* Calls until a citizen turns up; returns FALSE when nobody waits for this window. */
static gboolean
call (Bench  *bench,
      Window *window,
      gint64  now)
{
  while (bench->dept_waiting[window->department] > 0)
    {
      g_autoptr(JsonObject) called = window_act (bench, window, OW_WINDOW_CALL);
      g_autoptr(JsonObject) started = NULL;
      const char *number = number_of (called);
      Ticket *ticket = number != NULL ? g_hash_table_lookup (bench->tickets, number) : NULL;

      if (ticket == NULL)
        g_error ("window %s called %s, which the bench does not know", window->id,
                 number != NULL ? number : "nobody");
      dequeue (bench, ticket);

      if (g_rand_double (bench->rand) < NO_SHOW_SHARE)
        {
          g_autoptr(JsonObject) gone = window_act (bench, window, OW_WINDOW_NO_SHOW);

          /* The first no-show goes back into the queue, the second ends the ticket. */
          if (++ticket->no_shows < 2)
            enqueue (bench, ticket, now);
          else
            g_hash_table_remove (bench->tickets, ticket->number);
          continue;
        }

      started = window_act (bench, window, OW_WINDOW_START);
      window->busy = TRUE;
      window->ticket = ticket;
      window->returning = g_rand_double (bench->rand) < RETURN_SHARE;
      window->done_at = now + (gint64) llround (exponential (bench->rand, SERVICE_MINUTES * 60) *
                                                G_USEC_PER_SEC);
      return TRUE;
    }
  return FALSE;
}

static void
finish (Bench  *bench,
        Window *window,
        gint64  now)
{
  g_autoptr(JsonObject) result = NULL;
  Ticket *ticket = window->ticket;

  window->busy = FALSE;
  window->ticket = NULL;
  if (window->returning)
    {
      result = window_act (bench, window, OW_WINDOW_RETURN);
      g_hash_table_remove (bench->tickets, ticket->number);
      return;
    }

  result = window_act (bench, window, OW_WINDOW_COMPLETE);
  if (++ticket->position < services[ticket->service].steps)
    enqueue (bench, ticket, now);
  else
    g_hash_table_remove (bench->tickets, ticket->number);
}

static void
arrive (Bench  *bench,
        gint64  now)
{
  static const OwActor kiosk = { "device:kiosk-1", "bench" };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) issued = NULL;
  guint service = g_rand_int_range (bench->rand, 0, G_N_ELEMENTS (services));
  Ticket *ticket;

  issued = ow_hall_issue_ticket (bench->hall, &kiosk, services[service].code, FALSE, NULL, &error);
  if (issued == NULL)
    g_error ("issuing %s: %s", services[service].code, error->message);
  bench->operations++;
  bench->issued++;

  ticket = g_new0 (Ticket, 1);
  ticket->number = g_strdup (json_object_get_string_member (issued, "number"));
  ticket->service = service;
  g_hash_table_replace (bench->tickets, ticket->number, ticket);
  enqueue (bench, ticket, now);
}

/* One hall day: arrivals from 08:00 for ARRIVAL_HOURS, then the queue drains. */
static void
run_day (Bench  *bench,
         gint64  opening,
         double  arrivals_per_hour)
{
  double mean_gap_us = 3600.0 * G_USEC_PER_SEC / arrivals_per_hour;
  gint64 closing = opening + (gint64) (ARRIVAL_HOURS * 3600 * G_USEC_PER_SEC);
  gint64 next_arrival = opening + (gint64) llround (exponential (bench->rand, mean_gap_us));
  gint64 now = opening;

  for (;;)
    {
      Window *next = NULL;

      for (guint i = 0; i < bench->windows->len; i++)
        {
          Window *window = g_ptr_array_index (bench->windows, i);

          if (!window->busy)
            call (bench, window, now);
          if (window->busy && (next == NULL || window->done_at < next->done_at))
            next = window;
        }

      if (next_arrival < closing && (next == NULL || next_arrival <= next->done_at))
        {
          now = next_arrival;
          ow_clock_set (bench->clock, now);
          arrive (bench, now);
          next_arrival = now + MAX (1, (gint64) llround (exponential (bench->rand, mean_gap_us)));
        }
      else if (next != NULL)
        {
          now = next->done_at;
          ow_clock_set (bench->clock, now);
          finish (bench, next, now);
        }
      else
        break;
    }

  if (g_hash_table_size (bench->tickets) > 0)
    g_error ("%u tickets still open at the end of the day", g_hash_table_size (bench->tickets));
}

static int
compare_double_cb (gconstpointer a,
                   gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Runs the year's query QUERY_RUNS times; prints min and median in milliseconds. */
static JsonObject *
time_query (const char *label,
            OwDb       *db,
            OwClock    *clock,
            const char *from,
            const char *to)
{
  double ms[QUERY_RUNS];
  double first_ms = 0;
  JsonObject *last = NULL;

  for (guint i = 0; i < QUERY_RUNS; i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 start = g_get_monotonic_time ();
      JsonObject *stats = ow_stats_query (db, clock, from, to, &error);

      ms[i] = (g_get_monotonic_time () - start) / 1000.0;
      if (i == 0)
        first_ms = ms[i];
      if (stats == NULL)
        g_error ("query: %s", error->message);
      g_clear_pointer (&last, json_object_unref);
      last = stats;
    }
  qsort (ms, QUERY_RUNS, sizeof ms[0], compare_double_cb);
  printf ("%-34s min %8.1f ms   median %8.1f ms   (first run %.1f ms of %d)\n",
          label, ms[0], ms[QUERY_RUNS / 2], first_ms, QUERY_RUNS);
  return last;
}

static gint64
count (OwDb       *db,
       const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 n = -1;

  if (sqlite3_prepare_v2 (ow_db_get_handle (db), sql, -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

static void
print_summary (JsonObject *stats)
{
  JsonObject *wait = json_object_get_object_member (stats, "wait");
  JsonObject *overdue = json_object_get_object_member (stats, "overdue");

  printf ("  %s..%s: issued %" G_GINT64_FORMAT ", served %" G_GINT64_FORMAT " steps, completed %"
          G_GINT64_FORMAT ", no-shows %" G_GINT64_FORMAT ", returned %" G_GINT64_FORMAT "\n",
          json_object_get_string_member (stats, "from"), json_object_get_string_member (stats, "to"),
          json_object_get_int_member (stats, "issued"), json_object_get_int_member (stats, "served"),
          json_object_get_int_member (stats, "completed"),
          json_object_get_int_member (stats, "no_shows"),
          json_object_get_int_member (stats, "returned"));
  printf ("  wait: n %" G_GINT64_FORMAT ", mean %.1f s, p50 %" G_GINT64_FORMAT " s, p90 %"
          G_GINT64_FORMAT " s; overdue steps %" G_GINT64_FORMAT " (%u listed)\n",
          json_object_get_int_member (wait, "n"), json_object_get_double_member (wait, "mean_s"),
          json_object_get_int_member (wait, "p50_s"), json_object_get_int_member (wait, "p90_s"),
          json_object_get_int_member (overdue, "total"),
          json_array_get_length (json_object_get_array_member (overdue, "cases")));
}

int
main (int   argc,
      char *argv[])
{
  static const OwActor admin = { "cli:bench", "bench" };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(OwDb) db = NULL;
  g_autoptr(OwDb) file_db = NULL;
  g_autoptr(OwClock) clock = NULL;
  g_autoptr(JsonObject) stats = NULL;
  g_autoptr(GDateTime) first = NULL;
  g_autoptr(GDateTime) last = NULL;
  g_autofree char *catalog = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *vacuum = NULL;
  g_autofree char *path = NULL;
  g_autofree char *wal = NULL;
  g_autofree char *work_dir = NULL;
  g_autofree char *work_path = NULL;
  char *quoted;
  gint64 tickets = 1000000;
  int days = 365;
  int seed = 1;
  guint windows_per_department[G_N_ELEMENTS (departments)];
  double per_day, load_per_department[G_N_ELEMENTS (departments)] = { 0 };
  guint windows = 0;
  Bench bench = { 0 };
  gint64 start;
  double generation_s;
  GOptionEntry entries[] = {
    { "tickets", 'n', 0, G_OPTION_ARG_INT64, &tickets, "Tickets in the year (about; default 1000000)", "N" },
    { "days", 'd', 0, G_OPTION_ARG_INT, &days, "Days the year has (default 365)", "D" },
    { "seed", 's', 0, G_OPTION_ARG_INT, &seed, "Random seed (default 1)", "SEED" },
    { NULL }
  };


  context = g_option_context_new ("[FILE] - time the statistics of a year of a busy hall");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (tickets < 1 || days < 1 || days > 3660)
    {
      g_printerr ("--tickets must be positive and --days between 1 and 3660\n");
      return 2;
    }
  path = g_strdup (argc > 1 ? argv[1] : "/tmp/ow-bench-stats.db");

  /* Windows per department for TARGET_LOAD at the day's rate. */
  per_day = (double) tickets / days;
  for (guint s = 0; s < G_N_ELEMENTS (services); s++)
    load_per_department[services[s].department] +=
      per_day / ARRIVAL_HOURS / G_N_ELEMENTS (services) * services[s].steps * SERVICE_MINUTES / 60;
  for (guint d = 0; d < G_N_ELEMENTS (departments); d++)
    {
      windows_per_department[d] = MAX (1, (guint) ceil (load_per_department[d] / TARGET_LOAD));
      windows += windows_per_department[d];
    }

  first = g_date_time_new_local (2025, 1, 1, OPEN_HOUR, 0, 0);
  clock = ow_clock_new_virtual (g_date_time_to_unix (first) * G_USEC_PER_SEC);
  work_dir = g_build_filename (g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : g_get_tmp_dir (),
                               "ow-bench-stats-XXXXXX", NULL);
  if (g_mkdtemp (work_dir) == NULL)
    g_error ("cannot create %s", work_dir);
  work_path = g_build_filename (work_dir, "hall.db", NULL);
  db = ow_db_open (work_path, &error);
  if (db == NULL)
    g_error ("%s", error->message);
  catalog = build_catalog (windows_per_department);
  if (!ow_catalog_import_data (db, clock, &admin, "bench-catalog.json", catalog, -1, NULL, &error))
    g_error ("catalogue: %s", error->message);

  bench.clock = clock;
  bench.hall = ow_hall_new (db, clock);
  bench.rand = g_rand_new_with_seed (seed);
  bench.windows = g_ptr_array_new_with_free_func (window_free);
  bench.tickets = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, ticket_free);
  for (guint d = 0, number = 1; d < G_N_ELEMENTS (departments); d++)
    for (guint w = 0; w < windows_per_department[d]; w++, number++)
      {
        Window *window = g_new0 (Window, 1);

        window->id = g_strdup_printf ("w%u", number);
        window->staff = g_strdup_printf ("s%u", number);
        window->department = d;
        g_ptr_array_add (bench.windows, window);
      }

  printf ("OneWindow statistics benchmark: %" G_GINT64_FORMAT " tickets over %d days"
          " (%.0f a day), %u windows, seed %d\n", tickets, days, per_day, windows, seed);
  start = g_get_monotonic_time ();
  for (guint i = 0; i < bench.windows->len; i++)
    {
      Window *window = g_ptr_array_index (bench.windows, i);
      g_autofree char *name = g_strdup_printf ("职员%s", window->staff);

      if (!ow_hall_add_staff (bench.hall, &admin, window->staff, name, "counter", "123456", &error))
        g_error ("staff: %s", error->message);
    }
  printf ("staff added in %.1f s (argon2id)\n", (g_get_monotonic_time () - start) / 1e6);

  start = g_get_monotonic_time ();
  for (int day = 0; day < days; day++)
    {
      g_autoptr(GDateTime) opening = g_date_time_add_days (first, day);

      run_day (&bench, g_date_time_to_unix (opening) * G_USEC_PER_SEC, per_day / ARRIVAL_HOURS);
      if ((day + 1) % 30 == 0 || day + 1 == days)
        {
          double s = (g_get_monotonic_time () - start) / 1e6;

          printf ("  day %3d: %9" G_GINT64_FORMAT " tickets, %10" G_GINT64_FORMAT
                  " operations, %7.1f s (%.0f us an operation)\n",
                  day + 1, bench.issued, bench.operations, s, s * 1e6 / bench.operations);
          fflush (stdout);
        }
    }
  generation_s = (g_get_monotonic_time () - start) / 1e6;
  printf ("generated %" G_GINT64_FORMAT " tickets, %" G_GINT64_FORMAT " engine operations in"
          " %.1f s (%.1f us an operation)\n", bench.issued, bench.operations, generation_s,
          generation_s * 1e6 / bench.operations);
  printf ("rows: events %" G_GINT64_FORMAT ", tickets %" G_GINT64_FORMAT ", visits %" G_GINT64_FORMAT
          " (%" G_GINT64_FORMAT " overdue), stat_daily %" G_GINT64_FORMAT ", stat_hist %" G_GINT64_FORMAT "\n",
          count (db, "SELECT count(*) FROM events"), count (db, "SELECT count(*) FROM tickets"),
          count (db, "SELECT count(*) FROM visits"),
          count (db, "SELECT count(*) FROM visits WHERE overdue_s > 0"),
          count (db, "SELECT count(*) FROM stat_daily"), count (db, "SELECT count(*) FROM stat_hist"));

  last = g_date_time_add_days (first, days - 1);
  from = g_date_time_format (first, "%Y-%m-%d");
  to = g_date_time_format (last, "%Y-%m-%d");

  stats = time_query ("ow_stats_query, whole range, tmpfs", db, clock, from, to);
  print_summary (stats);
  g_clear_pointer (&stats, json_object_unref);

  wal = g_strconcat (path, "-wal", NULL);
  g_unlink (path);
  g_unlink (wal);
  quoted = sqlite3_mprintf ("%Q", path);
  vacuum = g_strdup_printf ("VACUUM INTO %s", quoted);
  sqlite3_free (quoted);
  start = g_get_monotonic_time ();
  if (!ow_db_exec (db, vacuum, &error))
    g_error ("%s", error->message);
  printf ("saved to %s in %.1f s\n", path, (g_get_monotonic_time () - start) / 1e6);

  g_clear_pointer (&bench.tickets, g_hash_table_unref);
  g_clear_pointer (&bench.windows, g_ptr_array_unref);
  g_clear_pointer (&bench.rand, g_rand_free);
  g_clear_object (&bench.hall);
  g_clear_object (&db);
  remove_tree (work_dir);

  file_db = ow_db_open (path, &error);
  if (file_db == NULL)
    g_error ("%s", error->message);
  stats = time_query ("ow_stats_query, whole range, file", file_db, clock, from, to);
  print_summary (stats);
  g_clear_pointer (&stats, json_object_unref);
  stats = time_query ("ow_stats_query, one day, file", file_db, clock, to, to);
  g_clear_pointer (&stats, json_object_unref);

  return 0;
}
