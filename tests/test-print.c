/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-print.h"

#include "ow-test-common.h"
#include "ow-test-cups.h"

/* The printed ticket, checked the way a citizen's phone and a printer would see it: the PDF is
 * rasterised at a receipt printer's 203 dpi and its QR code decoded with zbar; printing goes
 * through a private cupsd with `file:` queues, whose output is the PDF that was printed. */

#define STATUS_BASE "https://hall.example.gov.cn/ow/"

typedef struct
{
  HallFixture  hall;
  TestCups    *cups;
  char        *receipt;    /* the output file of the queue "receipt" */
} PrintFixture;

/* Tools. */

static gboolean
run_tool (char       **out,
          const char  *first,
          ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  va_list args;

  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (process))
    g_test_message ("%s failed: %s", first, err);
  return g_subprocess_get_successful (process);
}

static gboolean
have_tools (void)
{
  static const char * const tools[] = { "pdftoppm", "pdftotext", "pdfinfo", "zbarimg" };

  for (guint i = 0; i < G_N_ELEMENTS (tools); i++)
    {
      g_autofree char *path = g_find_program_in_path (tools[i]);

      if (path == NULL)
        {
          g_autofree char *reason = g_strdup_printf ("%s is not installed (Debian packages poppler-utils, zbar-tools)",
                                                     tools[i]);

          g_test_skip (reason);
          return FALSE;
        }
    }
  return TRUE;
}

/* The QR code's text, read from the PDF rasterised as a 203 dpi receipt printer would. */
static char *
decode_qr (const char *pdf)
{
  g_autofree char *prefix = g_strdup_printf ("%s-raster", pdf);
  g_autofree char *png = g_strdup_printf ("%s-1.png", prefix);
  g_autofree char *out = NULL;

  g_assert_true (run_tool (NULL, "pdftoppm", "-r", "203", "-png", pdf, prefix, NULL));
  g_assert_true (g_file_test (png, G_FILE_TEST_EXISTS));
  g_assert_true (run_tool (&out, "zbarimg", "-q", "--nodbus", "--raw", png, NULL));
  g_unlink (png);
  return g_strdup (g_strstrip (out));
}

static void
page_size (const char *pdf,
           double     *width,
           double     *height,
           int        *pages)
{
  g_autofree char *out = NULL;
  g_autoptr(GRegex) size = g_regex_new ("^Page size:\\s+([0-9.]+) x ([0-9.]+) pts", G_REGEX_MULTILINE, 0, NULL);
  g_autoptr(GRegex) count = g_regex_new ("^Pages:\\s+([0-9]+)", G_REGEX_MULTILINE, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autoptr(GMatchInfo) count_match = NULL;
  g_autofree char *w = NULL;
  g_autofree char *h = NULL;
  g_autofree char *n = NULL;

  g_assert_true (run_tool (&out, "pdfinfo", pdf, NULL));
  g_assert_true (g_regex_match (size, out, 0, &match));
  g_assert_true (g_regex_match (count, out, 0, &count_match));
  w = g_match_info_fetch (match, 1);
  h = g_match_info_fetch (match, 2);
  n = g_match_info_fetch (count_match, 1);
  *width = g_ascii_strtod (w, NULL);
  *height = g_ascii_strtod (h, NULL);
  *pages = (int) g_ascii_strtoll (n, NULL, 10);
}

static char *
pdf_text (const char *pdf)
{
  g_autofree char *out = NULL;

  g_assert_true (run_tool (&out, "pdftotext", "-enc", "UTF-8", pdf, "-", NULL));
  return g_steal_pointer (&out);
}

static char *
write_pdf (PrintFixture *fixture,
           const char   *name,
           GBytes       *pdf)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (fixture->hall.dir, name, NULL);

  g_file_set_contents (path, g_bytes_get_data (pdf, NULL), g_bytes_get_size (pdf), &error);
  g_assert_no_error (error);
  return path;
}

static char *
expected_url (JsonObject *ticket)
{
  return g_strdup_printf ("https://hall.example.gov.cn/ow/t/%s", json_object_get_string_member (ticket, "token"));
}

/* Fixtures. */

static void
print_set_up (PrintFixture  *fixture,
              gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  hall_fixture_set_up (&fixture->hall, user_data);
  ow_db_set_setting (fixture->hall.db, "status_base_url", STATUS_BASE, &error);
  g_assert_no_error (error);
}

static void
print_tear_down (PrintFixture  *fixture,
                 gconstpointer  user_data)
{
  g_clear_pointer (&fixture->cups, test_cups_stop);
  g_clear_pointer (&fixture->receipt, g_free);
  hall_fixture_tear_down (&fixture->hall, user_data);
}

/* With a private cupsd and a pass-through queue "receipt"; skips only when CUPS is absent. */
static void
cups_set_up (PrintFixture  *fixture,
             gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = test_cups_missing ();

  print_set_up (fixture, user_data);
  if (missing != NULL)
    {
      g_test_skip (missing);
      return;
    }
  fixture->cups = test_cups_start (&error);
  g_assert_no_error (error);
  fixture->receipt = test_cups_add_queue (fixture->cups, "receipt", "gziptoany", &error);
  g_assert_no_error (error);
}

static JsonObject *
issue_ticket (PrintFixture *fixture,
              const char   *service,
              gboolean      green)
{
  g_autoptr(GError) error = NULL;
  JsonObject *ticket = ow_hall_issue_ticket (fixture->hall.hall, NULL, service, green, NULL, &error);

  g_assert_no_error (error);
  return ticket;
}

static GBytes *
render (PrintFixture  *fixture,
        JsonObject    *ticket,
        const char    *language,
        OwTicketPaper  paper)
{
  OwTicketRenderer *renderer = ow_ticket_renderer_new_for_db (fixture->hall.db);
  g_autoptr(GError) error = NULL;
  GBytes *pdf;

  ow_ticket_renderer_set_language (renderer, language);
  ow_ticket_renderer_set_paper (renderer, paper);
  pdf = ow_ticket_renderer_render (renderer, ticket, &error);
  g_assert_no_error (error);
  g_assert_nonnull (pdf);
  g_assert_finalize_object (renderer);
  return pdf;
}

/* Rendering. */

static void
test_render_roll (PrintFixture  *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) ticket = NULL;
  g_autoptr(GBytes) pdf = NULL;
  g_autofree char *path = NULL;
  g_autofree char *url = NULL;
  g_autofree char *qr = NULL;
  g_autofree char *text = NULL;
  g_autofree char *token_group = NULL;
  double width, height;
  int pages;

  if (!have_tools ())
    return;
  first = issue_ticket (fixture, "biz", FALSE);
  ticket = issue_ticket (fixture, "biz", FALSE);
  pdf = render (fixture, ticket, "zh_CN", OW_TICKET_PAPER_ROLL_80MM);
  path = write_pdf (fixture, "roll.pdf", pdf);

  /* 80 mm wide, one page as long as the ticket. */
  page_size (path, &width, &height, &pages);
  g_assert_cmpfloat_with_epsilon (width, 80 / 25.4 * 72, 0.01);
  g_assert_cmpint (pages, ==, 1);
  g_assert_cmpfloat (height, >, 100 / 25.4 * 72);
  g_assert_cmpfloat (height, <, 250 / 25.4 * 72);

  url = expected_url (ticket);
  qr = decode_qr (path);
  g_assert_cmpstr (qr, ==, url);

  /* The text layer: the number, the hall, the service, its steps, the rule, in both languages
   * (the Chinese from the zh_CN catalogue), and the token for staff to type. */
  text = pdf_text (path);
  g_assert_nonnull (strstr (text, "A002"));
  g_assert_nonnull (strstr (text, "测试政务服务中心"));
  g_assert_nonnull (strstr (text, "Test Service Centre"));
  g_assert_nonnull (strstr (text, "个体工商户登记"));
  g_assert_nonnull (strstr (text, "材料预审"));
  g_assert_nonnull (strstr (text, "15 分钟"));
  g_assert_nonnull (strstr (text, "您的号码"));
  g_assert_nonnull (strstr (text, "前方等待 1 人"));
  g_assert_nonnull (strstr (text, "过号一次重新排队，过号两次作废"));
  g_assert_nonnull (strstr (text, "First no-show: back in the queue"));
  g_assert_nonnull (strstr (text, "2026-03-02 09:00"));
  token_group = g_strndup (json_object_get_string_member (ticket, "token"), 4);
  g_assert_nonnull (strstr (text, token_group));
  /* Chinese first: the hall's Chinese name comes before its English one. */
  g_assert_true (strstr (text, "测试政务服务中心") < strstr (text, "Test Service Centre"));
}

static void
test_render_a4 (PrintFixture  *fixture,
                gconstpointer  user_data)
{
  g_autoptr(JsonObject) ticket = NULL;
  g_autoptr(GBytes) pdf = NULL;
  g_autofree char *path = NULL;
  g_autofree char *url = NULL;
  g_autofree char *qr = NULL;
  g_autofree char *text = NULL;
  double width, height;
  int pages;

  if (!have_tools ())
    return;
  ticket = issue_ticket (fixture, "edu", TRUE);
  pdf = render (fixture, ticket, "zh_CN", OW_TICKET_PAPER_A4);
  path = write_pdf (fixture, "a4.pdf", pdf);

  page_size (path, &width, &height, &pages);
  g_assert_cmpfloat_with_epsilon (width, 210 / 25.4 * 72, 0.01);
  g_assert_cmpfloat_with_epsilon (height, 297 / 25.4 * 72, 0.01);
  g_assert_cmpint (pages, ==, 1);

  url = expected_url (ticket);
  qr = decode_qr (path);
  g_assert_cmpstr (qr, ==, url);
  text = pdf_text (path);
  g_assert_nonnull (strstr (text, "B001"));
  g_assert_nonnull (strstr (text, "绿色通道"));
}

static void
test_render_english (PrintFixture  *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(JsonObject) ticket = NULL;
  g_autoptr(GError) error = NULL;
  const char *rules[][2] = {
    { "1", "A no-show ends the ticket." },
    { "3", "Up to 2 no-shows: back in the queue" },
  };

  if (!have_tools ())
    return;
  ticket = issue_ticket (fixture, "biz", FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    {
      g_autoptr(GBytes) pdf = NULL;
      g_autofree char *path = NULL;
      g_autofree char *text = NULL;

      ow_db_set_setting (fixture->hall.db, "no_show_limit", rules[i][0], &error);
      g_assert_no_error (error);
      pdf = render (fixture, ticket, "en", OW_TICKET_PAPER_ROLL_80MM);
      path = write_pdf (fixture, "en.pdf", pdf);
      text = pdf_text (path);
      g_assert_nonnull (strstr (text, rules[i][1]));
      /* English first, then the Chinese. */
      g_assert_nonnull (strstr (text, "Your number"));
      g_assert_nonnull (strstr (text, "您的号码"));
      g_assert_true (strstr (text, "Test Service Centre") < strstr (text, "测试政务服务中心"));
      g_assert_nonnull (strstr (text, "Waiting ahead of you: 0"));
    }
}

static void
test_render_status_url (PrintFixture  *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(OwTicketRenderer) renderer = ow_ticket_renderer_new ();
  g_autoptr(JsonObject) ticket = issue_ticket (fixture, "biz", FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) pdf = NULL;
  g_autofree char *url = NULL;
  g_autofree char *expected = NULL;

  /* Without a base URL and without the server's own "status_url" there is no QR code to print. */
  pdf = ow_ticket_renderer_render (renderer, ticket, &error);
  g_assert_error (error, OW_TICKET_ERROR, OW_TICKET_ERROR_INVALID);
  g_assert_null (pdf);
  g_clear_error (&error);

  ow_ticket_renderer_set_status_base_url (renderer, "http://10.0.0.5:8080//");
  url = ow_ticket_renderer_get_status_url (renderer, ticket, &error);
  g_assert_no_error (error);
  expected = g_strdup_printf ("http://10.0.0.5:8080/t/%s", json_object_get_string_member (ticket, "token"));
  g_assert_cmpstr (url, ==, expected);
  g_clear_pointer (&url, g_free);

  /* The server's issue response names the URL phones reach it by: that one wins. */
  json_object_set_string_member (ticket, "status_url", "https://example.org/t/abc");
  url = ow_ticket_renderer_get_status_url (renderer, ticket, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (url, ==, "https://example.org/t/abc");

  /* A URL no QR code can hold is an error, not a crash. */
  {
    g_autofree char *huge = g_strnfill (4000, 'x');

    json_object_set_string_member (ticket, "status_url", huge);
    pdf = ow_ticket_renderer_render (renderer, ticket, &error);
    g_assert_error (error, OW_TICKET_ERROR, OW_TICKET_ERROR_INVALID);
    g_assert_null (pdf);
    g_clear_error (&error);
    json_object_remove_member (ticket, "status_url");
  }

  json_object_remove_member (ticket, "number");
  pdf = ow_ticket_renderer_render (renderer, ticket, &error);
  g_assert_error (error, OW_TICKET_ERROR, OW_TICKET_ERROR_INVALID);
  g_assert_null (pdf);
}

/* The kiosk renders while the citizen watches: far under 20 ms in the bench
 * (bench/bench-print.c); here only a generous bound that holds under sanitizers. */
static void
test_render_speed (PrintFixture  *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(OwTicketRenderer) renderer = ow_ticket_renderer_new_for_db (fixture->hall.db);
  g_autoptr(JsonObject) ticket = issue_ticket (fixture, "biz", FALSE);
  gint64 best = G_MAXINT64;

  for (int i = 0; i < 10; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) pdf = NULL;
      gint64 start = g_get_monotonic_time ();

      pdf = ow_ticket_renderer_render (renderer, ticket, &error);
      g_assert_no_error (error);
      best = MIN (best, g_get_monotonic_time () - start);
    }
  g_test_message ("best render of 10: %.1f ms", best / 1000.0);
  g_assert_cmpint (best, <, 250 * 1000);
}

/* Printing. */

static int
active_jobs (const char *queue)
{
  cups_job_t *jobs = NULL;
  int n = cupsGetJobs2 (CUPS_HTTP_DEFAULT, &jobs, queue, 0, CUPS_WHICHJOBS_ACTIVE);

  cupsFreeJobs (n, jobs);
  return n;
}

static int
print_ticket (PrintFixture  *fixture,
              JsonObject    *ticket,
              const char    *queue,
              guint          timeout_ms,
              char         **used,
              GError       **error)
{
  g_autoptr(OwPrinter) printer = ow_printer_new (queue);
  g_autoptr(GBytes) pdf = render (fixture, ticket, "zh_CN", OW_TICKET_PAPER_ROLL_80MM);

  if (timeout_ms > 0)
    ow_printer_set_timeout (printer, timeout_ms);
  return ow_printer_print (printer, pdf, "test ticket", used, NULL, error);
}

static void
test_cups_completed (PrintFixture  *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(OwPrinter) printer = ow_printer_new ("receipt");
  g_autoptr(JsonObject) ticket = NULL;
  g_autoptr(GBytes) pdf = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *used = NULL;
  g_autofree char *printed = NULL;
  g_autofree char *url = NULL;
  g_autofree char *qr = NULL;
  gsize length;
  int job;

  if (fixture->cups == NULL || !have_tools ())
    return;
  ticket = issue_ticket (fixture, "biz", FALSE);
  pdf = render (fixture, ticket, "zh_CN", OW_TICKET_PAPER_ROLL_80MM);
  job = ow_printer_print (printer, pdf, "A001", &used, NULL, &error);
  if (error != NULL)
    {
      g_autofree char *log = test_cups_log_tail (fixture->cups);

      g_test_message ("cupsd log:\n%s", log);
    }
  g_assert_no_error (error);
  g_assert_cmpint (job, >, 0);
  g_assert_cmpstr (used, ==, "receipt");
  g_assert_cmpint (active_jobs ("receipt"), ==, 0);

  /* What reached the device is the PDF, byte for byte, and its QR code still reads. */
  g_assert_true (g_file_get_contents (fixture->receipt, &printed, &length, NULL));
  g_assert_cmpmem (printed, length, g_bytes_get_data (pdf, NULL), g_bytes_get_size (pdf));
  url = expected_url (ticket);
  qr = decode_qr (fixture->receipt);
  g_assert_cmpstr (qr, ==, url);
}

static void
test_cups_default_destination (PrintFixture  *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(JsonObject) ticket = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *used = NULL;
  int job;

  if (fixture->cups == NULL)
    return;
  ticket = issue_ticket (fixture, "biz", FALSE);

  job = print_ticket (fixture, ticket, NULL, 0, &used, &error);
  g_assert_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_NO_QUEUE);
  g_assert_nonnull (strstr (error->message, "no default destination"));
  g_assert_cmpint (job, ==, 0);
  g_assert_null (used);
  g_clear_error (&error);

  test_cups_tool (fixture->cups, &error, "lpadmin", "-d", "receipt", NULL);
  g_assert_no_error (error);
  job = print_ticket (fixture, ticket, NULL, 0, &used, &error);
  g_assert_no_error (error);
  g_assert_cmpint (job, >, 0);
  g_assert_cmpstr (used, ==, "receipt");
}

static void
test_cups_missing_queue (PrintFixture  *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(JsonObject) issued = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(GError) error = NULL;

  if (fixture->cups == NULL)
    return;
  issued = issue_ticket (fixture, "biz", FALSE);
  g_assert_cmpint (print_ticket (fixture, issued, "nope", 0, NULL, &error), ==, 0);
  g_assert_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_NO_QUEUE);
  g_assert_cmpstr (error->message, ==, "printer queue 'nope' does not exist");

  /* Nothing is lost: the ticket is in the database, ready to be printed again. */
  again = ticket (&fixture->hall, json_object_get_string_member (issued, "number"));
  g_assert_cmpstr (json_object_get_string_member (again, "token"), ==,
                   json_object_get_string_member (issued, "token"));
  g_assert_cmpstr (json_object_get_string_member (again, "state"), ==, "waiting");
}

static void
test_cups_stopped (PrintFixture  *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(JsonObject) ticket = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  if (fixture->cups == NULL)
    return;
  ticket = issue_ticket (fixture, "biz", FALSE);

  test_cups_tool (fixture->cups, &error, "cupsdisable", "-r", "Roll cover open", "receipt", NULL);
  g_assert_no_error (error);
  start = g_get_monotonic_time ();
  g_assert_cmpint (print_ticket (fixture, ticket, "receipt", 0, NULL, &error), ==, 0);
  g_assert_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_QUEUE_STOPPED);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "printer queue 'receipt' is stopped: "));
  g_assert_nonnull (strstr (error->message, "Roll cover open"));
  /* Said at once, and no job left behind to come out when the queue is started again. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
  g_assert_cmpint (active_jobs ("receipt"), ==, 0);
  g_assert_false (g_file_test (fixture->receipt, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  test_cups_tool (fixture->cups, &error, "cupsenable", "receipt", NULL);
  g_assert_no_error (error);
  test_cups_tool (fixture->cups, &error, "cupsreject", "-r", "Closed for the day", "receipt", NULL);
  g_assert_no_error (error);
  g_assert_cmpint (print_ticket (fixture, ticket, "receipt", 0, NULL, &error), ==, 0);
  g_assert_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_QUEUE_STOPPED);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "printer queue 'receipt' is not accepting jobs: "));
  g_assert_nonnull (strstr (error->message, "Closed for the day"));
}

static void
test_cups_held (PrintFixture  *fixture,
                gconstpointer  user_data)
{
  g_autoptr(JsonObject) ticket = NULL;
  g_autoptr(GError) error = NULL;

  if (fixture->cups == NULL)
    return;
  ticket = issue_ticket (fixture, "biz", FALSE);

  /* A queue that holds every job until someone releases it: nobody will, at a kiosk. */
  test_cups_tool (fixture->cups, &error, "lpadmin", "-p", "receipt", "-o", "job-hold-until-default=indefinite", NULL);
  g_assert_no_error (error);
  g_assert_cmpint (print_ticket (fixture, ticket, "receipt", 10000, NULL, &error), ==, 0);
  g_assert_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_FAILED);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "job "));
  g_assert_nonnull (strstr (error->message, "on printer queue 'receipt' is held"));
  g_assert_cmpint (active_jobs ("receipt"), ==, 0);
}

static void
test_cups_paper_out (PrintFixture  *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(JsonObject) ticket = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;
  gint64 start;

  if (fixture->cups == NULL)
    return;
  ticket = issue_ticket (fixture, "biz", FALSE);
  output = test_cups_add_queue (fixture->cups, "empty", "ow-test-paper-out", &error);
  g_assert_no_error (error);

  /* The printer says it is out of paper while our job is on it: the kiosk hears at once, and
   * the job is cancelled rather than left to print for the next citizen. */
  start = g_get_monotonic_time ();
  g_assert_cmpint (print_ticket (fixture, ticket, "empty", 10000, NULL, &error), ==, 0);
  g_assert_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_NEEDS_ATTENTION);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "printer queue 'empty' needs attention: paper out"));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpint (active_jobs ("empty"), ==, 0);
  g_clear_error (&error);

  /* The condition stays on the printer until it is cleared: the next ticket is refused
   * before a job is made, or fails the same way. */
  g_assert_cmpint (print_ticket (fixture, ticket, "empty", 10000, NULL, &error), ==, 0);
  g_assert_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_NEEDS_ATTENTION);
}

static void
test_cups_job_stopped (PrintFixture  *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(JsonObject) ticket = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;

  if (fixture->cups == NULL)
    return;
  ticket = issue_ticket (fixture, "biz", FALSE);
  output = test_cups_add_queue (fixture->cups, "broken", "ow-test-fail", &error);
  g_assert_no_error (error);

  g_assert_cmpint (print_ticket (fixture, ticket, "broken", 10000, NULL, &error), ==, 0);
  g_assert_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_JOB_ABORTED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "'broken'"));
  g_assert_nonnull (strstr (error->message, "Print head overheated"));
  g_assert_cmpint (active_jobs ("broken"), ==, 0);
}

static void
test_cups_timeout (PrintFixture  *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(JsonObject) ticket = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;
  gint64 start;

  if (fixture->cups == NULL)
    return;
  ticket = issue_ticket (fixture, "biz", FALSE);
  output = test_cups_add_queue (fixture->cups, "slow", "ow-test-slow", &error);
  g_assert_no_error (error);

  start = g_get_monotonic_time ();
  g_assert_cmpint (print_ticket (fixture, ticket, "slow", 600, NULL, &error), ==, 0);
  g_assert_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_TIMEOUT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "'slow'"));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
  g_assert_cmpint (active_jobs ("slow"), ==, 0);
}

typedef struct
{
  GMainLoop *loop;
  int        job;
  char      *queue;
  GError    *error;
} AsyncResult;

static void
printed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  AsyncResult *async = user_data;

  async->job = ow_printer_print_finish (OW_PRINTER (object), result, &async->queue, &async->error);
  g_main_loop_quit (async->loop);
}

static gboolean
cancel_active_job_cb (gpointer user_data)
{
  cups_job_t *jobs = NULL;
  int n = cupsGetJobs2 (CUPS_HTTP_DEFAULT, &jobs, "slow", 0, CUPS_WHICHJOBS_ACTIVE);

  /* Staff cancel the job at the print server while the kiosk waits for it. */
  if (n == 0)
    return G_SOURCE_CONTINUE;
  g_assert_cmpint (cupsCancelJob2 (CUPS_HTTP_DEFAULT, "slow", jobs[0].id, 0), ==, IPP_STATUS_OK);
  cupsFreeJobs (n, jobs);
  return G_SOURCE_REMOVE;
}

static gboolean
tick_cb (gpointer user_data)
{
  guint *ticks = user_data;

  (*ticks)++;
  return G_SOURCE_CONTINUE;
}

static void
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
}

static void
test_cups_async (PrintFixture  *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(OwPrinter) printer = ow_printer_new ("receipt");
  g_autoptr(OwPrinter) slow = ow_printer_new ("slow");
  g_autoptr(JsonObject) ticket = NULL;
  g_autoptr(GBytes) pdf = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;
  AsyncResult async = { .loop = loop };
  guint ticks = 0;
  guint tick;

  if (fixture->cups == NULL)
    return;
  ticket = issue_ticket (fixture, "biz", FALSE);
  pdf = render (fixture, ticket, "zh_CN", OW_TICKET_PAPER_ROLL_80MM);

  /* The main loop keeps running while the job prints: the kiosk's screen stays alive. */
  ow_printer_print_async (printer, pdf, "A001", NULL, printed_cb, &async);
  tick = g_timeout_add (1, tick_cb, &ticks);
  g_main_loop_run (loop);
  g_source_remove (tick);
  g_test_message ("the main loop ran %u times while the job printed", ticks);
  g_assert_cmpuint (ticks, >, 0);
  g_assert_no_error (async.error);
  g_assert_cmpint (async.job, >, 0);
  g_assert_cmpstr (async.queue, ==, "receipt");
  g_clear_pointer (&async.queue, g_free);

  /* A job cancelled at the server while the kiosk follows it. */
  output = test_cups_add_queue (fixture->cups, "slow", "ow-test-slow", &error);
  g_assert_no_error (error);
  async.job = 0;
  ow_printer_print_async (slow, pdf, "A001", NULL, printed_cb, &async);
  g_timeout_add (50, cancel_active_job_cb, NULL);
  g_main_loop_run (loop);
  g_assert_error (async.error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_JOB_CANCELED);
  g_test_message ("%s", async.error->message);
  g_clear_error (&async.error);

  /* And one the kiosk gives up on itself: the CUPS job goes too. */
  ow_printer_print_async (slow, pdf, "A001", cancellable, printed_cb, &async);
  g_timeout_add_once (200, cancel_cb, cancellable);
  g_main_loop_run (loop);
  g_assert_error (async.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&async.error);
  g_assert_cmpint (active_jobs ("slow"), ==, 0);
}

static void
test_unreachable (PrintFixture  *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(OwPrinter) printer = ow_printer_new ("receipt");
  g_autoptr(GBytes) pdf = g_bytes_new_static ("%PDF-1.4\n", 9);
  g_autoptr(GError) error = NULL;
  g_autofree char *socket = g_build_filename (fixture->hall.dir, "no-cupsd.sock", NULL);

  ow_printer_set_server (printer, socket);
  g_assert_cmpint (ow_printer_print (printer, pdf, "x", NULL, NULL, &error), ==, 0);
  g_assert_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_UNREACHABLE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, socket));
}

/* The command line. */

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static Run
run_cli (PrintFixture *fixture,
         const char   *first,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  Run run = { 0 };
  va_list args;

  g_ptr_array_add (argv, (gpointer) g_getenv ("ONEWINDOW_CLI"));
  g_assert_nonnull (g_ptr_array_index (argv, 0));
  g_ptr_array_add (argv, (gpointer) "--db");
  g_ptr_array_add (argv, fixture->hall.path);
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &run.out, &run.err, &error);
  g_assert_no_error (error);
  run.status = g_subprocess_get_exit_status (process);
  if (run.status != 0)
    g_test_message ("onewindow %s: exit %d: %s", first, run.status, run.err);
  return run;
}

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

/* An error is one line of JSON on stderr; a sanitizer may add its report after it. */
static JsonObject *
parse_error_line (const char *text)
{
  g_autofree char *line = g_strndup (text, strcspn (text, "\n"));

  return parse_object (line);
}

static void
test_cli_output (PrintFixture  *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(JsonObject) ticket = NULL;
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *path = g_build_filename (fixture->hall.dir, "reprint.pdf", NULL);
  g_autofree char *url = NULL;
  g_autofree char *qr = NULL;
  g_autofree char *text = NULL;

  if (!have_tools ())
    return;
  ticket = issue_ticket (fixture, "biz", FALSE);

  {
    g_auto(Run) run = run_cli (fixture, "--json", "--lang", "zh_CN", "ticket", "print", "A001", "--output", path, NULL);

    g_assert_cmpint (run.status, ==, 0);
    result = parse_object (run.out);
  }
  g_assert_cmpstr (json_object_get_string_member (result, "output"), ==, path);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (result, "ticket"), "token"), ==,
                   json_object_get_string_member (ticket, "token"));

  url = expected_url (ticket);
  qr = decode_qr (path);
  g_assert_cmpstr (qr, ==, url);
  text = pdf_text (path);
  g_assert_nonnull (strstr (text, "A001"));
  g_assert_nonnull (strstr (text, "您的号码"));

  /* By token too, and in plain text. */
  {
    g_auto(Run) run = run_cli (fixture, "--lang", "en", "ticket", "print",
                               json_object_get_string_member (ticket, "token"), "--output", path, NULL);

    g_assert_cmpint (run.status, ==, 0);
    g_assert_nonnull (strstr (run.out, "A001"));
  }
}

static void
test_cli_cups (PrintFixture  *fixture,
               gconstpointer  user_data)
{
  g_autoptr(JsonObject) ticket = NULL;
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(JsonObject) failure = NULL;
  JsonObject *error_object;

  if (fixture->cups == NULL)
    return;
  ticket = issue_ticket (fixture, "biz", FALSE);

  {
    g_auto(Run) run = run_cli (fixture, "--json", "ticket", "print", "A001", "--printer", "receipt", NULL);

    g_assert_cmpint (run.status, ==, 0);
    result = parse_object (run.out);
  }
  g_assert_cmpstr (json_object_get_string_member (result, "printer"), ==, "receipt");
  g_assert_cmpint (json_object_get_int_member (result, "job"), >, 0);
  g_assert_cmpstr (json_object_get_string_member (result, "state"), ==, "completed");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (result, "ticket"), "number"), ==, "A001");
  g_assert_true (g_file_test (fixture->receipt, G_FILE_TEST_EXISTS));

  /* A missing queue: exit 1, a clear message, and the ticket is still there. */
  {
    g_auto(Run) run = run_cli (fixture, "--json", "ticket", "print", "A001", "--printer", "nope", NULL);

    g_assert_cmpint (run.status, ==, 1);
    g_assert_cmpstr (run.out, ==, "");
    failure = parse_error_line (run.err);
  }
  error_object = json_object_get_object_member (failure, "error");
  g_assert_cmpstr (json_object_get_string_member (error_object, "code"), ==, "no_queue");
  g_assert_nonnull (strstr (json_object_get_string_member (error_object, "message"),
                            "printer queue 'nope' does not exist"));
  g_assert_nonnull (strstr (json_object_get_string_member (error_object, "message"), "A001"));
  {
    g_auto(Run) run = run_cli (fixture, "--json", "ticket", "show", "A001", NULL);

    g_assert_cmpint (run.status, ==, 0);
  }

  /* The same in Chinese, for staff who read it. */
  {
    g_auto(Run) run = run_cli (fixture, "--lang", "zh_CN", "ticket", "print", "A001", "--printer", "nope", NULL);

    g_assert_cmpint (run.status, ==, 1);
    g_assert_nonnull (strstr (run.err, "打印队列“nope”不存在"));
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  /* The catalogues are found through OW_LOCALEDIR (tests/meson.build), as the CLI finds them. */
#define ADD(path, fn, setup) g_test_add (path, PrintFixture, NULL, setup, fn, print_tear_down)
  ADD ("/ow/print/render/roll", test_render_roll, print_set_up);
  ADD ("/ow/print/render/a4", test_render_a4, print_set_up);
  ADD ("/ow/print/render/english", test_render_english, print_set_up);
  ADD ("/ow/print/render/status-url", test_render_status_url, print_set_up);
  ADD ("/ow/print/render/speed", test_render_speed, print_set_up);
  ADD ("/ow/print/cups/completed", test_cups_completed, cups_set_up);
  ADD ("/ow/print/cups/default-destination", test_cups_default_destination, cups_set_up);
  ADD ("/ow/print/cups/missing-queue", test_cups_missing_queue, cups_set_up);
  ADD ("/ow/print/cups/stopped", test_cups_stopped, cups_set_up);
  ADD ("/ow/print/cups/held", test_cups_held, cups_set_up);
  ADD ("/ow/print/cups/paper-out", test_cups_paper_out, cups_set_up);
  ADD ("/ow/print/cups/job-stopped", test_cups_job_stopped, cups_set_up);
  ADD ("/ow/print/cups/timeout", test_cups_timeout, cups_set_up);
  ADD ("/ow/print/cups/async", test_cups_async, cups_set_up);
  ADD ("/ow/print/cups/unreachable", test_unreachable, print_set_up);
  ADD ("/ow/print/cli/output", test_cli_output, print_set_up);
  ADD ("/ow/print/cli/cups", test_cli_cups, cups_set_up);
#undef ADD

  return g_test_run ();
}
