/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The kiosk's figures (issue 4), with the real widgets, the real server and a private cupsd:
 *   - touch to job accepted by CUPS: the "take a ticket" button's click, the server issuing,
 *     the PDF rendered and the job accepted by the scheduler (target < 150 ms);
 *   - touch to job completed, for information (the queue passes the PDF to a file);
 *   - rendering the ticket's PDF alone (target < 20 ms);
 *   - cold start of onewindow-kiosk to its first frame and to the first frame with the
 *     departments (target < 1 s);
 *   - resident memory (VmRSS) of the kiosk process showing the home page, and of this process
 *     after the runs (target < 80 MB).
 * It needs a display: run it as  xvfb-run -a -s '-screen 0 1920x1920x24' bench/bench-kiosk
 * (GTK_A11Y=none GSK_RENDERER=cairo GDK_BACKEND=x11 give the same setting as the UI tests). */

#include <adwaita.h>
#include <stdio.h>
#include <stdlib.h>

#include "ow-appkit.h"
#include "ow-kiosk-window.h"
#include "ow-test-cups.h"
#include "ow-test-server.h"
#include "ow-ticket-render.h"

#define RUNS 30

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
report (const char *what,
        double     *ms,
        guint       n)
{
  qsort (ms, n, sizeof *ms, compare_doubles);
  g_print ("%-40s median %7.1f ms   p90 %7.1f ms   max %7.1f ms   (n=%u)\n",
           what, ms[n / 2], ms[(n * 9) / 10], ms[n - 1], n);
}

static GtkWidget *
find_widget (GtkWidget  *root,
             const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0 && gtk_widget_get_mapped (root))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
wait_for_widget (OwKioskWindow  *window,
                 const char     *name,
                 GtkWidget     **out)
{
  while ((*out = find_widget (GTK_WIDGET (window), name)) == NULL)
    g_main_context_iteration (NULL, TRUE);
}

static void
touch (OwKioskWindow *window,
       const char    *name)
{
  GtkWidget *widget;

  wait_for_widget (window, name, &widget);
  g_signal_emit_by_name (widget, "clicked");
}

typedef struct
{
  gboolean done;
  gint64   at;
  gint64   issued_at;
  GError  *error;
} Print;

static void
ticket_issued_cb (OwKioskWindow *window,
                  JsonObject    *ticket,
                  Print         *print)
{
  print->issued_at = g_get_monotonic_time ();
}

static void
print_finished_cb (OwKioskWindow *window,
                   int            job,
                   GError        *error,
                   Print         *print)
{
  print->at = g_get_monotonic_time ();
  print->done = TRUE;
  if (error != NULL)
    print->error = g_error_copy (error);
}

static void
touch_to_print (OwKioskWindow *window,
                gboolean       follow,
                const char    *what)
{
  double ms[RUNS], issue_ms[RUNS];
  g_autofree char *issue_what = g_strdup_printf ("  of which touch to ticket on screen");

  ow_printer_set_follow_job (ow_kiosk_window_get_printer (window), follow);
  for (guint i = 0; i < RUNS; i++)
    {
      Print print = { 0 };
      gulong handler = g_signal_connect (window, "print-finished", G_CALLBACK (print_finished_cb), &print);
      gulong issued = g_signal_connect (window, "ticket-issued", G_CALLBACK (ticket_issued_cb), &print);
      GtkWidget *button;
      gint64 start;

      touch (window, "department-market");
      touch (window, "service-biz-reg");
      wait_for_widget (window, "take-ticket", &button);
      while (!gtk_widget_is_sensitive (button))
        g_main_context_iteration (NULL, TRUE);

      start = g_get_monotonic_time ();
      g_signal_emit_by_name (button, "clicked");
      while (!print.done)
        g_main_context_iteration (NULL, TRUE);
      if (print.error != NULL)
        g_error ("printing failed: %s", print.error->message);
      ms[i] = (print.at - start) / 1000.0;
      issue_ms[i] = (print.issued_at - start) / 1000.0;
      g_signal_handler_disconnect (window, handler);
      g_signal_handler_disconnect (window, issued);
      ow_kiosk_window_go_home (window);
    }
  report (what, ms, RUNS);
  report (issue_what, issue_ms, RUNS);
}

static void
rendering (JsonObject *ticket)
{
  g_autoptr(OwTicketRenderer) renderer = ow_ticket_renderer_new ();
  double ms[RUNS * 3];

  for (guint i = 0; i < G_N_ELEMENTS (ms); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) pdf = NULL;
      gint64 start = g_get_monotonic_time ();

      pdf = ow_ticket_renderer_render (renderer, ticket, &error);
      if (pdf == NULL)
        g_error ("%s", error->message);
      ms[i] = (g_get_monotonic_time () - start) / 1000.0;
    }
  report ("render ticket PDF", ms, G_N_ELEMENTS (ms));
}

static void
cold_start (TestHall *hall)
{
  double total[5], first[5], home[5];
  long rss = 0;

  for (guint i = 0; i < G_N_ELEMENTS (total); i++)
    {
      g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
      g_autoptr(GSubprocess) kiosk = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *out = NULL;
      const char *line;
      gint64 start = g_get_monotonic_time ();

      g_subprocess_launcher_setenv (launcher, "OW_KIOSK_EXIT_AFTER_FIRST_FRAME", "1", TRUE);
      kiosk = g_subprocess_launcher_spawn (launcher, &error, BENCH_KIOSK, "--server", hall->url,
                                           "--token", hall->kiosk, "--printer", "receipt", NULL);
      if (kiosk == NULL || !g_subprocess_communicate_utf8 (kiosk, NULL, NULL, &out, NULL, &error))
        g_error ("onewindow-kiosk: %s", error->message);
      total[i] = (g_get_monotonic_time () - start) / 1000.0;
      if ((line = strstr (out, "first-frame-ms ")) == NULL)
        g_error ("onewindow-kiosk printed: %s", out);
      first[i] = g_ascii_strtod (line + strlen ("first-frame-ms "), NULL);
      home[i] = g_ascii_strtod (strstr (out, "home-frame-ms ") + strlen ("home-frame-ms "), NULL);
      rss = MAX (rss, strtol (strstr (out, "vmrss-kb ") + strlen ("vmrss-kb "), NULL, 10));
    }
  report ("cold start: main() to first frame", first, G_N_ELEMENTS (first));
  report ("cold start: main() to departments shown", home, G_N_ELEMENTS (home));
  report ("cold start: spawn to exit after that", total, G_N_ELEMENTS (total));
  g_print ("%-40s %ld kB (%.1f MB)\n", "kiosk process VmRSS at home page", rss, rss / 1024.0);
}

static long
resident_kb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, "VmRSS:")) == NULL)
    return -1;
  return strtol (line + strlen ("VmRSS:"), NULL, 10);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestCups) cups = NULL;
  g_autofree char *output = NULL;
  g_autofree char *missing = NULL;
  OwKioskConfig *config;
  OwKioskWindow *window;
  TestHall *hall;

  g_setenv ("ONEWINDOW_CLI", BENCH_CLI, FALSE);
  g_setenv ("ONEWINDOW_SERVER", BENCH_SERVER, FALSE);
  g_setenv ("GSETTINGS_BACKEND", "memory", FALSE);
  g_setenv ("GTK_A11Y", "none", FALSE);
  /* As onewindow-kiosk does by default (software-rendering=true). */
  if (g_getenv ("GSK_RENDERER") == NULL)
    g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
  ow_appkit_init_i18n ();
  ow_appkit_set_language ("zh_CN");
  gtk_init ();
  adw_init ();

  missing = test_cups_missing ();
  if (missing != NULL)
    g_error ("cannot start a private cupsd: %s", missing);
  cups = test_cups_start (&error);
  if (cups == NULL)
    g_error ("%s", error->message);
  output = test_cups_add_queue (cups, "receipt", "gziptoany", &error);
  if (output == NULL)
    g_error ("%s", error->message);
  hall = test_hall_new ();

  config = ow_kiosk_config_new ();
  config->server = g_strdup (hall->url);
  config->token = g_strdup (hall->kiosk);
  config->printer = g_strdup ("receipt");
  window = ow_kiosk_window_new (NULL, config);
  gtk_window_set_decorated (GTK_WINDOW (window), FALSE);
  gtk_window_set_default_size (GTK_WINDOW (window), 1080, 1920);
  gtk_window_present (GTK_WINDOW (window));

  g_print ("onewindow kiosk bench: %d runs each, server and cupsd on this machine\n", RUNS);
  touch_to_print (window, FALSE, "touch to job accepted by CUPS");
  touch_to_print (window, TRUE, "touch to job completed");
  {
    /* The ticket of the last run, as the server issued it. */
    g_autofree char *out = test_cli (hall, NULL, "--json", "ticket", "issue", "biz-reg", NULL);
    g_autoptr(JsonObject) ticket = parse_object (out);

    json_object_set_string_member (ticket, "status_url", "http://127.0.0.1:8080/t/0123456789abcdef0123456789abcdef");
    rendering (ticket);
  }
  g_print ("%-40s %ld kB (%.1f MB)\n", "this process VmRSS after the runs", resident_kb (), resident_kb () / 1024.0);
  cold_start (hall);

  gtk_window_destroy (GTK_WINDOW (window));
  ow_kiosk_config_free (config);
  test_hall_free (hall);
  return 0;
}
