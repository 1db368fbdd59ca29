/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sqlite3.h>

#include "bench-common.h"

/* Durable ticket operations per second through the engine, against raw SQLite durable
 * commits per second on the same disk in the same run (WAL, synchronous=FULL): with SQLite's
 * default pages (4 KiB), and with the engine's own smaller pages, whose tiny commit writes
 * fewer bytes and is the stricter floor. */

#define SQLITE_DEFAULT_PAGE_BYTES 4096  /* SQLite's SQLITE_DEFAULT_PAGE_SIZE, as Debian builds it */

typedef struct
{
  sqlite3      *db;
  sqlite3_stmt *insert;
} Raw;

static void
raw_open (Raw        *raw,
          const char *path,
          int         page_size)
{
  g_autofree char *sql = g_strdup_printf ("PRAGMA page_size = %d; PRAGMA journal_mode = WAL;"
                                          "PRAGMA synchronous = FULL;"
                                          "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT)",
                                          page_size);

  if (sqlite3_open (path, &raw->db) != SQLITE_OK ||
      sqlite3_exec (raw->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    g_error ("raw database: %s", sqlite3_errmsg (raw->db));
  sqlite3_prepare_v2 (raw->db, "INSERT INTO t (x) VALUES ('A001')", -1, &raw->insert, NULL);
}

/* One tiny INSERT per durable commit: the floor any durable operation pays. */
static double
raw_round (Raw *raw,
           int  count)
{
  gint64 start = g_get_monotonic_time ();

  for (int i = 0; i < count; i++)
    {
      if (sqlite3_step (raw->insert) != SQLITE_DONE)
        g_error ("raw insert: %s", sqlite3_errmsg (raw->db));
      sqlite3_reset (raw->insert);
    }
  return count / bench_seconds (start);
}

/* A realistic mix: each ticket is issued, then called and completed at two steps. */
static double
engine_round (OwHall  *hall,
              OwClock *clock,
              int      tickets,
              int     *ops_out)
{
  const char *windows[] = { "w1", "w2" };
  gint64 start = g_get_monotonic_time ();
  int ops = 0;

  for (int i = 0; i < tickets; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) ticket = ow_hall_issue_ticket (hall, NULL, "s", FALSE, NULL, &error);

      if (ticket == NULL)
        g_error ("issue: %s", error->message);
      ops++;
      for (guint w = 0; w < G_N_ELEMENTS (windows); w++)
        {
          g_autoptr(JsonObject) called = ow_hall_window_act (hall, NULL, windows[w], OW_WINDOW_CALL, NULL, &error);
          g_autoptr(JsonObject) done = NULL;

          ow_clock_advance (clock, G_USEC_PER_SEC);
          done = ow_hall_window_act (hall, NULL, windows[w], OW_WINDOW_COMPLETE, NULL, &error);
          if (called == NULL || done == NULL)
            g_error ("window: %s", error->message);
          ops += 2;
        }
    }
  *ops_out += ops;
  return ops / bench_seconds (start);
}

/* The same mix, eight tickets' operations to one durable commit, as the hall server batches
 * the requests that arrive together (group commit through nested transactions). */
static double
batched_round (OwHall  *hall,
               OwClock *clock,
               int      tickets,
               int     *ops_out)
{
  enum { BATCH = 8 };
  g_autoptr(GError) error = NULL;
  OwDb *db = ow_hall_get_db (hall);
  gint64 start = g_get_monotonic_time ();
  int ops = 0;

  for (int i = 0; i < tickets; i += BATCH)
    {
      if (!ow_db_begin (db, TRUE, &error))
        g_error ("%s", error->message);
      engine_round (hall, clock, MIN (BATCH, tickets - i), &ops);
      if (!ow_db_commit (db, &error))
        g_error ("%s", error->message);
    }
  *ops_out += ops;
  return ops / bench_seconds (start);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (double *values,
        int     n)
{
  qsort (values, n, sizeof *values, (GCompareFunc) compare_doubles);
  return values[n / 2];
}

int
main (int    argc,
      char **argv)
{
  enum { ROUNDS = 7 };
  const char *base = argc > 1 ? argv[1] : g_get_tmp_dir ();
  g_autofree char *dir = g_build_filename (base, "ow-bench-engine-XXXXXX", NULL);
  g_autofree char *raw_path = NULL;
  g_autofree char *small_path = NULL;
  g_autofree char *hall_path = NULL;
  g_autoptr(OwClock) clock = NULL;
  g_autoptr(OwHall) hall = NULL;
  int tickets = argc > 2 ? atoi (argv[2]) : 60;
  double raw_rates[ROUNDS], small_rates[ROUNDS], engine_rates[ROUNDS];
  double ratios[ROUNDS], small_ratios[ROUNDS], batched[ROUNDS];
  int ops = 0, batched_ops = 0;
  Raw raw = { 0 }, small = { 0 };

  if (g_mkdtemp (dir) == NULL)
    g_error ("cannot create %s", dir);
  raw_path = g_build_filename (dir, "raw.db", NULL);
  hall_path = g_build_filename (dir, "hall.db", NULL);
  small_path = g_build_filename (dir, "raw-small.db", NULL);
  raw_open (&raw, raw_path, SQLITE_DEFAULT_PAGE_BYTES);
  raw_open (&small, small_path, OW_DB_PAGE_SIZE);
  clock = ow_clock_new_virtual (bench_morning ());
  hall = bench_hall_new (hall_path, clock);

  /* The disk's speed drifts by a factor of two within seconds.  Interleave short slices
   * (one ticket's five operations, then five raw commits of each kind) so that all see the
   * same disk, and compare the rounds' totals. */
  for (int r = 0; r < ROUNDS; r++)
    {
      double raw_s = 0, small_s = 0, engine_s = 0;
      int engine_ops = 0;

      for (int i = 0; i < tickets; i++)
        {
          int slice_ops = 0;
          double rate = engine_round (hall, clock, 1, &slice_ops);

          engine_s += slice_ops / rate;
          engine_ops += slice_ops;
          raw_s += 5 / raw_round (&raw, 5);
          small_s += 5 / raw_round (&small, 5);
        }
      ops += engine_ops;
      raw_rates[r] = tickets * 5 / raw_s;
      small_rates[r] = tickets * 5 / small_s;
      engine_rates[r] = engine_ops / engine_s;
      ratios[r] = engine_rates[r] / raw_rates[r];
      small_ratios[r] = engine_rates[r] / small_rates[r];
      batched[r] = batched_round (hall, clock, tickets, &batched_ops) / raw_rates[r];
    }

  g_print ("folder:                         %s\n", dir);
  g_print ("raw durable commits/s:          %.0f  (median of %d rounds; SQLite's default %d-byte pages)\n",
           median (raw_rates, ROUNDS), ROUNDS, SQLITE_DEFAULT_PAGE_BYTES);
  g_print ("raw, the engine's page size:    %.0f  (%d-byte pages)\n", median (small_rates, ROUNDS), OW_DB_PAGE_SIZE);
  g_print ("engine durable ticket ops/s:    %.0f  (%d operations: issue, call, complete)\n",
           median (engine_rates, ROUNDS), ops);
  g_print ("engine / raw:                   %.0f %%  (median of the rounds' ratios; target >= 80 %%)\n",
           100 * median (ratios, ROUNDS));
  g_print ("engine / raw, same page size:   %.0f %%\n", 100 * median (small_ratios, ROUNDS));
  g_print ("batched (8 tickets a commit):   %.0f %% of raw  (%d operations)\n",
           100 * median (batched, ROUNDS), batched_ops);
  sqlite3_finalize (raw.insert);
  sqlite3_close (raw.db);
  sqlite3_finalize (small.insert);
  sqlite3_close (small.db);
  return 0;
}
