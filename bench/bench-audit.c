/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>

#include "bench-common.h"

/* `audit verify` events per second, against sha256sum's bytes per second over the very
 * bytes the chain hashes (every event's canonical encoding, written to a file). */

static void
generate (OwHall *hall,
          OwClock *clock,
          int     tickets)
{
  for (int i = 0; i < tickets; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) ticket = ow_hall_issue_ticket (hall, NULL, "s", i % 7 == 0, NULL, &error);
      const char *windows[] = { "w1", "w2" };

      if (ticket == NULL)
        g_error ("issue: %s", error->message);
      for (guint w = 0; w < G_N_ELEMENTS (windows); w++)
        {
          g_autoptr(JsonObject) called = ow_hall_window_act (hall, NULL, windows[w], OW_WINDOW_CALL, NULL, NULL);
          g_autoptr(JsonObject) started = ow_hall_window_act (hall, NULL, windows[w], OW_WINDOW_START, NULL, NULL);
          g_autoptr(JsonObject) done = NULL;

          ow_clock_advance (clock, 2 * G_USEC_PER_SEC);
          done = ow_hall_window_act (hall, NULL, windows[w], OW_WINDOW_COMPLETE, NULL, NULL);
          if (called == NULL || started == NULL || done == NULL)
            g_error ("window action failed");
        }
      /* Stay within one hall day: 9999 tickets a day at most. */
      if (i % 9000 == 8999)
        ow_clock_advance (clock, G_TIME_SPAN_DAY);
    }
}

static gsize
write_canonical (OwDb       *db,
                 const char *path)
{
  g_autoptr(sqlite3_stmt) stmt = ow_db_prepare (db, "SELECT " OW_AUDIT_COLUMNS " FROM events ORDER BY seq", NULL);
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  FILE *file = fopen (path, "wb");
  gsize total = 0;

  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      OwAuditEvent event = {
        .at = sqlite3_column_int64 (stmt, 1),
        .actor = ow_db_column_text (stmt, 2),
        .terminal = ow_db_column_text (stmt, 3),
        .window = ow_db_column_text (stmt, 4),
        .ticket = ow_db_column_text (stmt, 5),
        .ticket_id = sqlite3_column_int64 (stmt, 6),
        .action = ow_db_column_text (stmt, 7),
        .details = ow_db_column_text (stmt, 8),
      };

      g_byte_array_set_size (buf, 0);
      ow_audit_encode_event (buf, sqlite3_column_blob (stmt, 9), sqlite3_column_int64 (stmt, 0), &event);
      fwrite (buf->data, 1, buf->len, file);
      total += buf->len;
    }
  fclose (file);
  return total;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (g_get_tmp_dir (), "ow-bench-audit-XXXXXX", NULL);
  g_autofree char *path = NULL;
  g_autofree char *bytes_path = NULL;
  g_autofree char *vacuum = NULL;
  g_autofree char *command = NULL;
  g_autoptr(OwDb) db = NULL;
  int tickets = argc > 1 ? atoi (argv[1]) : 50000;
  double verify_s = G_MAXDOUBLE, sha_s = G_MAXDOUBLE;
  OwAuditVerdict verdict = { 0 };
  gsize bytes;

  if (g_mkdtemp (dir) == NULL)
    g_error ("cannot create %s", dir);
  path = g_build_filename (dir, "hall.db", NULL);
  bytes_path = g_build_filename (dir, "events.bin", NULL);

  /* Generating on a durable file would take an fsync per event; build in memory, then save. */
  {
    g_autoptr(OwClock) clock = ow_clock_new_virtual (bench_morning ());
    g_autoptr(OwHall) hall = bench_hall_new (":memory:", clock);
    gint64 start = g_get_monotonic_time ();

    generate (hall, clock, tickets);
    vacuum = g_strdup_printf ("VACUUM INTO '%s'", path);
    if (!ow_db_exec (ow_hall_get_db (hall), vacuum, &error))
      g_error ("%s", error->message);
    g_print ("generated %d tickets in %.1f s\n", tickets, bench_seconds (start));
  }

  db = ow_db_open (path, &error);
  if (db == NULL)
    g_error ("%s", error->message);

  for (int run = 0; run < 3; run++)
    {
      gint64 start = g_get_monotonic_time ();

      ow_audit_verdict_clear (&verdict);
      if (!ow_audit_verify (db, 0, NULL, &verdict, &error) || !verdict.ok)
        g_error ("verify failed");
      verify_s = MIN (verify_s, bench_seconds (start));
    }

  bytes = write_canonical (db, bytes_path);
  command = g_strdup_printf ("sha256sum %s > /dev/null", bytes_path);
  for (int run = 0; run < 3; run++)
    {
      gint64 start = g_get_monotonic_time ();

      if (system (command) != 0)
        g_error ("sha256sum failed");
      sha_s = MIN (sha_s, bench_seconds (start));
    }

  g_print ("events:                      %" G_GINT64_FORMAT " (%" G_GSIZE_FORMAT " canonical bytes, %.0f per event)\n",
           verdict.events, bytes, (double) bytes / verdict.events);
  g_print ("audit verify:                %.3f s  %.0f events/s  %.1f MB/s\n",
           verify_s, verdict.events / verify_s, bytes / verify_s / 1e6);
  g_print ("sha256sum over the same:     %.3f s  %.1f MB/s  (bound: %.0f events/s)\n",
           sha_s, bytes / sha_s / 1e6, verdict.events / sha_s);
  g_print ("verify / hash bound:         %.0f %%  (target >= 50 %%)\n", 100 * sha_s / verify_s);
  ow_audit_verdict_clear (&verdict);
  return 0;
}
