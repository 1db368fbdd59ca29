/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-print.h"

#include "bench-common.h"
#include "ow-test-cups.h"

/* The kiosk's print path (docs/PRINTING.md): "touch to job accepted by CUPS under 150 ms,
 * rendering alone under 20 ms".  A touch issues the ticket (a durable commit), renders it and
 * submits the PDF to a private cupsd's pass-through `file:` queue.  Printed: p50 and p99 in
 * milliseconds, and the first render, which pays for fontconfig. */

#define RENDERS  100
#define TOUCHES  50
#define FOLLOWED 20

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
percentile (GArray *ms,
            double  p)
{
  g_array_sort (ms, compare_doubles);
  return g_array_index (ms, double, (guint) MIN (ms->len - 1, p / 100.0 * ms->len));
}

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

static void
report (const char *what,
        GArray     *ms)
{
  g_print ("%-40s p50 %6.2f ms   p99 %6.2f ms   (n = %u)\n", what, percentile (ms, 50), percentile (ms, 99), ms->len);
}

static int
active_jobs (const char *queue)
{
  cups_job_t *jobs = NULL;
  int n = cupsGetJobs2 (CUPS_HTTP_DEFAULT, &jobs, queue, 0, CUPS_WHICHJOBS_ACTIVE);

  cupsFreeJobs (n, jobs);
  return n;
}

static JsonObject *
issue (OwHall *hall)
{
  g_autoptr(GError) error = NULL;
  JsonObject *ticket = ow_hall_issue_ticket (hall, NULL, "s", FALSE, NULL, &error);

  if (ticket == NULL)
    g_error ("issue: %s", error->message);
  return ticket;
}

static GBytes *
render (OwTicketRenderer *renderer,
        JsonObject       *ticket)
{
  g_autoptr(GError) error = NULL;
  GBytes *pdf = ow_ticket_renderer_render (renderer, ticket, &error);

  if (pdf == NULL)
    g_error ("render: %s", error->message);
  return pdf;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ow-bench-print-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree char *missing = NULL;
  g_autoptr(OwClock) clock = ow_clock_new_virtual (bench_morning ());
  g_autoptr(OwHall) hall = NULL;
  g_autoptr(OwTicketRenderer) renderer = NULL;
  g_autoptr(TestCups) cups = NULL;
  g_autoptr(GArray) ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(JsonObject) ticket = NULL;
  g_autoptr(GBytes) first = NULL;
  gint64 start;
  gsize size;

  if (dir == NULL)
    g_error ("%s", error->message);
  path = g_build_filename (dir, "hall.db", NULL);
  hall = bench_hall_new (path, clock);
  if (!ow_db_set_setting (ow_hall_get_db (hall), "status_base_url", "https://hall.example.gov.cn/ow", &error))
    g_error ("%s", error->message);
  ticket = issue (hall);

  /* Rendering. */
  start = g_get_monotonic_time ();
  renderer = ow_ticket_renderer_new_for_db (ow_hall_get_db (hall));
  first = render (renderer, ticket);
  size = g_bytes_get_size (first);
  g_print ("first render (fontconfig, fonts):         %6.2f ms\n", ms_since (start));
  for (int i = 0; i < RENDERS; i++)
    {
      g_autoptr(GBytes) pdf = NULL;

      start = g_get_monotonic_time ();
      pdf = render (renderer, ticket);
      g_array_append_val (ms, (double) { ms_since (start) });
    }
  report ("render, renderer kept (the kiosk)", ms);
  g_array_set_size (ms, 0);
  for (int i = 0; i < RENDERS; i++)
    {
      g_autoptr(OwTicketRenderer) fresh = NULL;
      g_autoptr(GBytes) pdf = NULL;

      start = g_get_monotonic_time ();
      fresh = ow_ticket_renderer_new_for_db (ow_hall_get_db (hall));
      pdf = render (fresh, ticket);
      g_array_append_val (ms, (double) { ms_since (start) });
    }
  report ("render, new renderer each time (the CLI)", ms);
  g_print ("PDF size:                                 %6.1f kB\n", size / 1024.0);

  /* Through CUPS. */
  missing = test_cups_missing ();
  if (missing != NULL)
    {
      g_print ("CUPS figures skipped: %s\n", missing);
      return 0;
    }
  cups = test_cups_start (&error);
  if (cups == NULL || test_cups_add_queue (cups, "receipt", "gziptoany", &error) == NULL)
    g_error ("private cupsd: %s", error->message);

  for (int followed = 0; followed < 2; followed++)
    {
      g_autoptr(OwPrinter) printer = ow_printer_new ("receipt");
      g_autoptr(GArray) issue_ms = g_array_new (FALSE, FALSE, sizeof (double));
      g_autoptr(GArray) render_ms = g_array_new (FALSE, FALSE, sizeof (double));
      g_autoptr(GArray) submit_ms = g_array_new (FALSE, FALSE, sizeof (double));
      int rounds = followed ? FOLLOWED : TOUCHES;

      ow_printer_set_follow_job (printer, followed);
      g_array_set_size (ms, 0);
      /* The jobs submitted without waiting are still printing: let them finish first. */
      while (followed && active_jobs ("receipt") > 0)
        g_usleep (10000);
      for (int i = 0; i < rounds; i++)
        {
          g_autoptr(JsonObject) issued = NULL;
          g_autoptr(GBytes) pdf = NULL;
          gint64 issue_start, render_start, submit_start;

          start = issue_start = g_get_monotonic_time ();
          issued = issue (hall);
          render_start = g_get_monotonic_time ();
          pdf = render (renderer, issued);
          submit_start = g_get_monotonic_time ();
          if (ow_printer_print (printer, pdf, "bench", NULL, NULL, &error) == 0)
            g_error ("print: %s", error->message);
          g_array_append_val (ms, (double) { ms_since (start) });
          g_array_append_val (issue_ms, (double) { (render_start - issue_start) / 1000.0 });
          g_array_append_val (render_ms, (double) { (submit_start - render_start) / 1000.0 });
          g_array_append_val (submit_ms, (double) { ms_since (submit_start) });
        }
      if (!followed)
        {
          report ("  issue (durable commit)", issue_ms);
          report ("  render", render_ms);
          report ("  submit until CUPS accepted the job", submit_ms);
          report ("touch to job accepted by CUPS", ms);
        }
      else
        {
          report ("  submit until the job completed", submit_ms);
          report ("touch to job completed (file: queue)", ms);
        }
    }
  g_print ("targets: render < 20 ms, touch to job accepted < 150 ms\n");

  g_clear_pointer (&cups, test_cups_stop);
  g_clear_object (&hall);
  test_cups_remove_tree (dir);
  return 0;
}
