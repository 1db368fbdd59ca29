/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "ow-appkit.h"
#include "ow-kiosk-qr.h"
#include "ow-kiosk-window.h"
#include "ow-test-cups.h"
#include "ow-test-server.h"

/* The kiosk's real widgets under Xvfb against the real server binary and a private cupsd:
 * buttons are activated as a touch would, and what the screen says is read back from the
 * labels.  With OW_SCREENSHOT_DIR set, the screens are also saved there as PNG. */

#define WAIT_S 20

static TestHall *hall;
static TestCups *cups;
static char *receipt_output;

/* Widgets */

static GtkWidget *
find_widget (GtkWidget  *root,
             const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The widget named @name on the page the stack shows, or in the header. */
static GtkWidget *
visible_widget (OwKioskWindow *window,
                const char    *name)
{
  GtkStack *stack = GTK_STACK (find_widget (GTK_WIDGET (window), "pages"));
  GtkWidget *page = gtk_stack_get_visible_child (stack);
  GtkWidget *found = page != NULL ? find_widget (page, name) : NULL;

  if (found == NULL)
    found = find_widget (GTK_WIDGET (window), name);
  if (found == NULL)
    g_error ("no widget named %s on the %s page", name, ow_kiosk_window_get_view (window));
  return found;
}

/* The description of the full-page message on screen. */
static const char *
message_description (OwKioskWindow *window)
{
  GtkWidget *widget = visible_widget (window, "message-home");

  while (widget != NULL && !ADW_IS_STATUS_PAGE (widget))
    widget = gtk_widget_get_parent (widget);
  g_assert_nonnull (widget);
  return adw_status_page_get_description (ADW_STATUS_PAGE (widget));
}

static const char *
label_text (OwKioskWindow *window,
            const char    *name)
{
  return gtk_label_get_label (GTK_LABEL (visible_widget (window, name)));
}

static void
touch (OwKioskWindow *window,
       const char    *name)
{
  GtkWidget *widget = visible_widget (window, name);

  g_assert_true (gtk_widget_is_sensitive (widget));
  g_assert_true (gtk_widget_get_focusable (widget));
  /* What a finger lifted on the button does (keyboard activation adds a 250 ms flash). */
  g_signal_emit_by_name (widget, "clicked");
}

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

typedef gboolean (*Condition) (OwKioskWindow *window, gconstpointer data);

static void
wait_until (OwKioskWindow *window,
            Condition      condition,
            gconstpointer  data,
            const char    *what)
{
  gboolean expired = FALSE;
  guint source = g_timeout_add_seconds (WAIT_S, timeout_cb, &expired);

  while (!condition (window, data) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (expired)
    g_error ("waited %d s for %s; the view is %s", WAIT_S, what, ow_kiosk_window_get_view (window));
  g_source_remove (source);
}

static gboolean
view_is (OwKioskWindow *window,
         gconstpointer  data)
{
  return g_strcmp0 (ow_kiosk_window_get_view (window), data) == 0;
}

static void
wait_view (OwKioskWindow *window,
           const char    *view)
{
  wait_until (window, view_is, view, view);
}

static void
spin (guint ms)
{
  gboolean expired = FALSE;

  g_timeout_add (ms, timeout_cb, &expired);
  while (!expired)
    g_main_context_iteration (NULL, TRUE);
}

static OwKioskConfig *
test_config (const char *printer)
{
  OwKioskConfig *config = ow_kiosk_config_new ();

  config->server = g_strdup (hall->url);
  config->token = g_strdup (hall->kiosk);
  config->printer = g_strdup (printer);
  /* The private scheduler, as a hall would name its own in the key file (cups-server=). */
  config->cups_server = cups != NULL ? g_strdup (cups->socket) : NULL;
  config->retry_interval_ms = 200;
  config->print_timeout_ms = 8000;
  return config;
}

static OwKioskWindow *
open_kiosk (OwKioskConfig *config,
            int            width,
            int            height)
{
  OwKioskWindow *window = ow_kiosk_window_new (NULL, config);

  /* No frame or shadow: the widget is the whole screen, as when fullscreen. */
  gtk_window_set_decorated (GTK_WINDOW (window), FALSE);
  gtk_window_set_resizable (GTK_WINDOW (window), FALSE);
  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static void
close_kiosk (OwKioskWindow *window)
{
  gtk_window_destroy (GTK_WINDOW (window));
  spin (50);
}

static void
screenshot (OwKioskWindow *window,
            const char    *name)
{
  const char *dir = g_getenv ("OW_SCREENSHOT_DIR");
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (dir == NULL)
    return;
  /* Let the stack's transition, the layout switch and a few frames pass. */
  spin (600);
  {
    int width, height;

    /* Nothing may make the window grow past the screen it is made for. */
    gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
    g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window)), ==, width);
    g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (window)), ==, height);
  }
  path = g_build_filename (dir, name, NULL);
  ow_widget_save_png (GTK_WIDGET (window), path, &error);
  g_assert_no_error (error);
  g_test_message ("screenshot %s", path);
}

/* Server */

static JsonObject *
server_ticket (const char *token)
{
  g_autofree char *path = g_strconcat ("/api/v1/tickets/", token, NULL);

  return test_http (hall, "GET", path, NULL, NULL, 200);
}

static void
issue_directly (const char *service)
{
  g_autofree char *body = g_strdup_printf ("{\"service\": \"%s\", \"green\": false}", service);
  g_autoptr(JsonObject) ticket = test_http (hall, "POST", "/api/v1/tickets", hall->kiosk, body, 201);
}

/* Replaces the catalogue through the API, as an administrator would. */
static void
put_catalog (const char *service,
             const char *member,
             JsonNode   *value)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *admin = test_login (hall, "admin", PIN_ADMIN, NULL);
  g_autofree char *body = NULL;
  g_autoptr(JsonObject) result = NULL;
  JsonArray *services;

  json_parser_load_from_file (parser, hall->catalog, &error);
  g_assert_no_error (error);
  services = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "services");
  for (guint i = 0; i < json_array_get_length (services); i++)
    {
      JsonObject *object = json_array_get_object_element (services, i);

      if (g_str_equal (json_object_get_string_member (object, "code"), service))
        json_object_set_member (object, member, value);
    }
  json_generator_set_root (generator, json_parser_get_root (parser));
  body = json_generator_to_data (generator, NULL);
  result = test_http (hall, "PUT", "/api/v1/catalog", admin, body, 200);
}

static void
restore_catalog (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *admin = test_login (hall, "admin", PIN_ADMIN, NULL);
  g_autofree char *body = NULL;
  g_autoptr(JsonObject) result = NULL;

  g_file_get_contents (hall->catalog, &body, NULL, &error);
  g_assert_no_error (error);
  result = test_http (hall, "PUT", "/api/v1/catalog", admin, body, 200);
}

/* Printing */

typedef struct
{
  gboolean  done;
  int       job;
  GError   *error;
} PrintResult;

static void
print_finished_cb (OwKioskWindow *window,
                   int            job,
                   GError        *error,
                   PrintResult   *result)
{
  result->done = TRUE;
  result->job = job;
  g_clear_error (&result->error);
  result->error = error != NULL ? g_error_copy (error) : NULL;
}

static gboolean
print_done (OwKioskWindow *window,
            gconstpointer  data)
{
  return ((const PrintResult *) data)->done;
}

/* Walks from the home page to @service's page. */
static void
go_to_service (OwKioskWindow *window,
               const char    *department,
               const char    *service)
{
  g_autofree char *department_tile = g_strconcat ("department-", department, NULL);
  g_autofree char *service_tile = g_strconcat ("service-", service, NULL);

  wait_view (window, "home");
  touch (window, department_tile);
  wait_view (window, "department");
  touch (window, service_tile);
  wait_view (window, "service");
}

/* Takes a ticket on the service page and waits for the confirmation and the printing. */
static JsonObject *
take_ticket (OwKioskWindow *window,
             PrintResult   *print)
{
  gulong handler = g_signal_connect (window, "print-finished", G_CALLBACK (print_finished_cb), print);

  touch (window, "take-ticket");
  wait_view (window, "ticket");
  wait_until (window, print_done, print, "the print job");
  g_signal_handler_disconnect (window, handler);
  return ow_kiosk_window_get_ticket (window);
}

/* Tests */

/* A phone photographing the screen reads the status URL from the QR code on it. */
static void
check_screen_qr (OwKioskWindow *window,
                 const char    *url)
{
  g_autofree char *zbarimg = g_find_program_in_path ("zbarimg");
  g_autofree char *png = g_build_filename (hall->dir, "screen-qr.png", NULL);
  g_autofree char *expected = g_strdup_printf ("QR-Code:%s\n", url);
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;

  if (zbarimg == NULL)
    {
      g_test_message ("zbarimg is not installed: the QR code on screen is not decoded");
      return;
    }
  spin (300);
  ow_widget_save_png (visible_widget (window, "ticket-card"), png, &error);
  g_assert_no_error (error);
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                              zbarimg, "-q", "--nodbus", png, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, expected);
}

static gboolean
label_is (OwKioskWindow *window,
          gconstpointer  data)
{
  const char * const *pair = data;

  return g_strcmp0 (label_text (window, pair[0]), pair[1]) == 0;
}

static void
test_flow (void)
{
  g_autoptr(OwKioskConfig) config = NULL;
  OwKioskWindow *window;
  g_autoptr(JsonObject) on_server = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *pdf = NULL;
  PrintResult print = { 0 };
  JsonObject *ticket;
  const char *number;
  gsize length = 0;

  if (cups == NULL)
    {
      g_test_skip ("no private cupsd here");
      return;
    }
  /* Two citizens are ahead. */
  issue_directly ("biz-reg");
  issue_directly ("biz-reg");

  config = test_config ("receipt");
  window = open_kiosk (config, 1080, 1920);
  wait_view (window, "home");
  g_assert_cmpstr (label_text (window, "hall-name"), ==, "娄烦县政务服务中心");
  g_assert_cmpstr (label_text (window, "home-prompt"), ==, "请选择办事部门");
  screenshot (window, "kiosk-zh_CN-portrait.png");

  go_to_service (window, "market", "biz-reg");
  g_assert_cmpstr (label_text (window, "service-title"), ==, "个体工商户登记");
  /* The people waiting arrive from the server. */
  {
    const char *waiting[] = { "waiting", "当前等候 2 人" };

    wait_until (window, label_is, waiting, "the people waiting");
  }
  g_assert_nonnull (gtk_widget_get_first_child (visible_widget (window, "steps")));
  g_assert_nonnull (gtk_widget_get_first_child (visible_widget (window, "documents")));
  screenshot (window, "kiosk-zh_CN-service.png");

  /* A plain ticket: the two before it are ahead. */
  ticket = take_ticket (window, &print);
  g_assert_no_error (print.error);
  g_assert_cmpint (print.job, >, 0);
  g_assert_nonnull (ticket);
  number = json_object_get_string_member (ticket, "number");
  g_assert_true (number[0] == 'A');
  g_assert_cmpint (json_object_get_int_member (ticket, "ahead"), ==, 2);
  expected = g_strdup_printf ("您已领取 %s 号，前方等待 2 人", number);
  g_assert_cmpstr (label_text (window, "ticket-headline"), ==, expected);
  g_assert_cmpstr (label_text (window, "ticket-number"), ==, number);
  g_assert_cmpstr (ow_kiosk_qr_get_text (OW_KIOSK_QR (visible_widget (window, "ticket-qr"))), ==,
                   json_object_get_string_member (ticket, "status_url"));
  g_assert_cmpint (ow_kiosk_qr_get_width (OW_KIOSK_QR (visible_widget (window, "ticket-qr"))), >, 0);
  g_assert_nonnull (strstr (label_text (window, "print-status"), "请取"));
  screenshot (window, "kiosk-zh_CN-ticket.png");
  check_screen_qr (window, json_object_get_string_member (ticket, "status_url"));

  /* The ticket is on the server, as the screen says. */
  on_server = server_ticket (json_object_get_string_member (ticket, "token"));
  g_assert_cmpstr (json_object_get_string_member (on_server, "number"), ==, number);
  g_assert_cmpstr (json_object_get_string_member (on_server, "state"), ==, "waiting");
  g_assert_false (json_object_get_boolean_member (on_server, "green"));
  g_clear_pointer (&on_server, json_object_unref);

  /* And it came out of the printer: the output is the PDF itself. */
  g_assert_true (g_file_get_contents (receipt_output, &pdf, &length, NULL));
  g_assert_cmpuint (length, >, 1000);
  g_assert_true (g_str_has_prefix (pdf, "%PDF"));

  touch (window, "done");
  wait_view (window, "home");

  /* A green-channel ticket: called first, so nobody is ahead; only the category is kept. */
  go_to_service (window, "market", "biz-reg");
  touch (window, "green-elderly");
  g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (visible_widget (window, "green-elderly"))));
  print.done = FALSE;
  ticket = take_ticket (window, &print);
  g_assert_no_error (print.error);
  g_assert_cmpint (json_object_get_int_member (ticket, "ahead"), ==, 0);
  g_free (expected);
  expected = g_strdup_printf ("您已领取 %s 号，前方等待 0 人", json_object_get_string_member (ticket, "number"));
  g_assert_cmpstr (label_text (window, "ticket-headline"), ==, expected);
  g_assert_cmpstr (label_text (window, "ticket-green"), ==, "绿色通道：老年人");
  on_server = server_ticket (json_object_get_string_member (ticket, "token"));
  g_assert_true (json_object_get_boolean_member (on_server, "green"));
  /* The public view leaves the category out; the hall's own record has it. */
  g_assert_false (json_object_has_member (on_server, "green_category"));
  {
    g_autofree char *out = test_cli (hall, NULL, "--json", "ticket", "show",
                                     json_object_get_string_member (ticket, "number"), NULL);
    g_autoptr(JsonObject) record = parse_object (out);

    g_assert_cmpstr (json_object_get_string_member (record, "green_category"), ==, "elderly");
  }

  touch (window, "done");
  wait_view (window, "home");
  close_kiosk (window);
}


static void
test_language (void)
{
  g_autoptr(OwKioskConfig) config = test_config ("receipt");
  OwKioskWindow *window = open_kiosk (config, 1920, 1080);
  const char *english[] = { "home-prompt", "Please choose a department" };

  wait_view (window, "home");
  touch (window, "language-en");
  wait_until (window, label_is, english, "English");
  g_assert_cmpstr (ow_kiosk_window_get_language (window), ==, "en");
  g_assert_cmpstr (label_text (window, "hall-name"), ==, "Loufan County Government Service Centre");
  g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (visible_widget (window, "language-en"))));
  screenshot (window, "kiosk-en-landscape.png");

  /* The service page, rebuilt in the other language with the same state. */
  go_to_service (window, "market", "biz-reg");
  g_assert_cmpstr (label_text (window, "service-title"), ==, "Sole proprietor registration");
  touch (window, "green-disabled");
  gtk_widget_activate_action (GTK_WIDGET (window), "kiosk.language", "s", "zh_CN");
  g_assert_cmpstr (ow_kiosk_window_get_view (window), ==, "service");
  g_assert_cmpstr (label_text (window, "service-title"), ==, "个体工商户登记");
  g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (visible_widget (window, "green-disabled"))));
  gtk_widget_activate_action (GTK_WIDGET (window), "kiosk.language", "s", "en");
  screenshot (window, "kiosk-en-landscape-service.png");
  if (cups != NULL)
    {
      PrintResult print = { 0 };
      JsonObject *ticket = take_ticket (window, &print);
      gint64 ahead = json_object_get_int_member (ticket, "ahead");
      g_autofree char *headline = g_strdup_printf (ahead == 1 ? "You have ticket %s. %d person is waiting ahead of you."
                                                              : "You have ticket %s. %d people are waiting ahead of you.",
                                                   json_object_get_string_member (ticket, "number"), (int) ahead);

      /* A green-channel ticket: only other green-channel tickets are ahead. */
      g_assert_cmpint (ahead, <=, 1);
      g_assert_cmpstr (label_text (window, "ticket-headline"), ==, headline);
      g_assert_no_error (print.error);
      screenshot (window, "kiosk-en-landscape-ticket.png");
      touch (window, "done");
      wait_view (window, "home");
      g_assert_cmpstr (ow_kiosk_window_get_language (window), ==, "zh_CN");
      close_kiosk (window);
      return;
    }

  /* Keyboard: Escape goes back a page at a time. */
  gtk_widget_activate_action (GTK_WIDGET (window), "kiosk.back", NULL);
  wait_view (window, "department");
  gtk_widget_activate_action (GTK_WIDGET (window), "kiosk.back", NULL);
  wait_view (window, "home");
  /* The next citizen starts in the hall's language. */
  g_assert_cmpstr (ow_kiosk_window_get_language (window), ==, "zh_CN");
  close_kiosk (window);
}

static void
test_print_failures (void)
{
  static const struct { const char *queue; OwPrinterError code; } cases[] = {
    { "no-such-queue", OW_PRINTER_ERROR_NO_QUEUE },
    { "stopped", OW_PRINTER_ERROR_QUEUE_STOPPED },
    { "paper-out", OW_PRINTER_ERROR_NEEDS_ATTENTION },
    { "broken", OW_PRINTER_ERROR_JOB_ABORTED },
  };
  g_autoptr(GError) error = NULL;

  if (cups == NULL)
    {
      g_test_skip ("no private cupsd here");
      return;
    }
  g_free (test_cups_add_queue (cups, "stopped", "gziptoany", &error));
  g_assert_no_error (error);
  test_cups_tool (cups, &error, "cupsdisable", "-r", "Roll cover open", "stopped", NULL);
  g_assert_no_error (error);
  g_free (test_cups_add_queue (cups, "paper-out", "ow-test-paper-out", &error));
  g_assert_no_error (error);
  g_free (test_cups_add_queue (cups, "broken", "ow-test-fail", &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(OwKioskConfig) config = test_config (cases[i].queue);
      OwKioskWindow *window = open_kiosk (config, 1080, 1920);
      g_autoptr(JsonObject) on_server = NULL;
      PrintResult print = { 0 };
      JsonObject *ticket;

      g_test_message ("queue %s", cases[i].queue);
      go_to_service (window, "market", "biz-change");
      ticket = take_ticket (window, &print);
      g_assert_nonnull (print.error);
      g_test_message ("print error: %s", print.error->message);
      if (cases[i].code == OW_PRINTER_ERROR_JOB_ABORTED)
        g_assert_true (g_error_matches (print.error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_JOB_ABORTED) ||
                       g_error_matches (print.error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_FAILED));
      else
        g_assert_error (print.error, OW_PRINTER_ERROR, (int) cases[i].code);
      g_clear_error (&print.error);

      /* The ticket stays on screen with its QR code and a plain message. */
      g_assert_cmpstr (ow_kiosk_window_get_view (window), ==, "ticket");
      g_assert_cmpstr (label_text (window, "ticket-number"), ==, json_object_get_string_member (ticket, "number"));
      g_assert_cmpint (ow_kiosk_qr_get_width (OW_KIOSK_QR (visible_widget (window, "ticket-qr"))), >, 0);
      g_assert_nonnull (strstr (label_text (window, "print-status"), "拍下"));
      if (i == 0)
        screenshot (window, "kiosk-zh_CN-print-failed.png");

      /* Nothing is lost: the ticket exists on the server. */
      on_server = server_ticket (json_object_get_string_member (ticket, "token"));
      g_assert_cmpstr (json_object_get_string_member (on_server, "state"), ==, "waiting");
      close_kiosk (window);
    }
}

static gboolean
message_is (OwKioskWindow *window,
            gconstpointer  data)
{
  return g_strcmp0 (ow_kiosk_window_get_message_kind (window), data) == 0;
}

static void
test_server_down (void)
{
  g_autoptr(OwKioskConfig) config = test_config ("no-such-queue");
  g_autofree char *port = NULL;
  OwKioskWindow *window;
  g_autoptr(JsonObject) stats_before = NULL;

  /* Restarts must come back on the same address. */
  port = g_strdup (strrchr (hall->url, ':') + 1);
  g_free (hall->listen);
  hall->listen = g_strdup_printf ("127.0.0.1:%s", port);

  window = open_kiosk (config, 1080, 1920);
  go_to_service (window, "market", "biz-reg");
  test_hall_stop_server (hall, SIGKILL);

  /* The citizen presses the button: no number is made up. */
  touch (window, "take-ticket");
  wait_until (window, message_is, "paused", "ticketing paused");
  g_assert_null (ow_kiosk_window_get_ticket (window));
  g_assert_false (gtk_widget_get_visible (visible_widget (window, "message-home")));
  screenshot (window, "kiosk-zh_CN-paused.png");

  /* It keeps trying while the server is away... */
  spin (1000);
  g_assert_cmpstr (ow_kiosk_window_get_message_kind (window), ==, "paused");
  g_assert_nonnull (strstr (label_text (window, "message-detail"), "第"));

  /* ...and carries on by itself when it is back. */
  test_hall_start_server (hall);
  wait_view (window, "home");
  go_to_service (window, "market", "biz-reg");
  close_kiosk (window);

  /* Started while the server is down, the kiosk waits for it too. */
  test_hall_stop_server (hall, SIGTERM);
  window = open_kiosk (config, 1080, 1920);
  wait_until (window, message_is, "paused", "ticketing paused at start");
  test_hall_start_server (hall);
  wait_view (window, "home");
  close_kiosk (window);
}

static void
test_cap_reached (void)
{
  g_autoptr(OwKioskConfig) config = test_config ("no-such-queue");
  OwKioskWindow *window;
  const char *description;

  put_catalog ("food-licence", "daily_cap", json_node_init_int (json_node_alloc (), 1));
  issue_directly ("food-licence");

  window = open_kiosk (config, 1080, 1920);
  go_to_service (window, "market", "food-licence");
  touch (window, "take-ticket");
  wait_until (window, message_is, "cap_reached", "cap reached");
  g_assert_null (ow_kiosk_window_get_ticket (window));
  description = message_description (window);
  g_test_message ("%s", description);
  g_assert_nonnull (strstr (description, "1"));
  g_assert_nonnull (strstr (description, "全天"));
  touch (window, "message-home");
  wait_view (window, "home");
  close_kiosk (window);
  restore_catalog ();
}

static gboolean
description_has (OwKioskWindow *window,
                 gconstpointer  data)
{
  return strstr (message_description (window), data) != NULL;
}

static void
test_outside_hours (void)
{
  g_autoptr(OwKioskConfig) config = test_config ("no-such-queue");
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  int hour = (g_date_time_get_hour (now) + 2) % 24;
  g_autofree char *range = g_strdup_printf ("%02d:00-%02d:00", hour, hour + 1);
  g_autofree char *shown = g_strdup_printf ("%02d:00\u2060–\u2060%02d:00", hour, hour + 1);
  JsonArray *hours = json_array_new ();
  OwKioskWindow *window;
  const char *description;

  window = open_kiosk (config, 1080, 1920);
  go_to_service (window, "stats", "stats-data");

  /* The hall changes the hours while the citizen reads: the server refuses, and the kiosk
   * says so with the new hours. */
  json_array_add_string_element (hours, range);
  put_catalog ("stats-data", "hours", json_node_init_array (json_node_alloc (), hours));
  json_array_unref (hours);
  touch (window, "take-ticket");
  wait_until (window, message_is, "closed", "outside hours");
  g_assert_null (ow_kiosk_window_get_ticket (window));
  wait_until (window, description_has, shown, "the new hours");
  description = message_description (window);
  g_test_message ("%s", description);
  screenshot (window, "kiosk-zh_CN-closed.png");

  /* Next time the service page says it before the button is pressed. */
  touch (window, "message-home");
  go_to_service (window, "stats", "stats-data");
  g_assert_true (gtk_widget_get_visible (visible_widget (window, "closed")));
  g_assert_nonnull (strstr (label_text (window, "closed"), shown));
  g_assert_false (gtk_widget_is_sensitive (visible_widget (window, "take-ticket")));
  close_kiosk (window);
  restore_catalog ();
}

static void
test_idle (void)
{
  g_autoptr(OwKioskConfig) config = test_config ("no-such-queue");
  OwKioskWindow *window;
  gint64 start;

  config->idle_timeout_ms = 400;
  window = open_kiosk (config, 1080, 1920);
  go_to_service (window, "market", "biz-reg");
  start = g_get_monotonic_time ();
  wait_view (window, "home");
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 300 * 1000);
  close_kiosk (window);
}

/* Every control can be reached by keyboard and is big enough to touch. */
static void
check_controls (GtkWidget *widget,
                guint     *count)
{
  if (GTK_IS_BUTTON (widget) && gtk_widget_get_mapped (widget))
    {
      g_assert_true (gtk_widget_get_focusable (widget));
      g_assert_cmpint (gtk_widget_get_height (widget), >=, 64);
      (*count)++;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    check_controls (child, count);
}

static void
test_controls (void)
{
  g_autoptr(OwKioskConfig) config = test_config ("no-such-queue");
  OwKioskWindow *window = open_kiosk (config, 1080, 1920);
  guint count = 0;

  wait_view (window, "home");
  spin (300);
  check_controls (GTK_WIDGET (window), &count);
  go_to_service (window, "market", "biz-reg");
  spin (300);
  check_controls (GTK_WIDGET (window), &count);
  g_assert_cmpuint (count, >, 10);
  close_kiosk (window);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = NULL;
  int status;

  ow_appkit_init_i18n ();
  /* As in main.c: before GLib decides whether g_dgettext () translates. */
  ow_appkit_set_language ("zh_CN");
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  hall = test_hall_new ();
  missing = test_cups_missing ();
  if (missing == NULL)
    {
      cups = test_cups_start (&error);
      if (cups == NULL)
        g_test_message ("no private cupsd: %s", error->message);
      else
        {
          receipt_output = test_cups_add_queue (cups, "receipt", "gziptoany", &error);
          g_assert_no_error (error);
        }
    }

  g_test_add_func ("/ow/kiosk/flow", test_flow);
  g_test_add_func ("/ow/kiosk/language", test_language);
  g_test_add_func ("/ow/kiosk/print-failures", test_print_failures);
  g_test_add_func ("/ow/kiosk/server-down", test_server_down);
  g_test_add_func ("/ow/kiosk/cap-reached", test_cap_reached);
  g_test_add_func ("/ow/kiosk/outside-hours", test_outside_hours);
  g_test_add_func ("/ow/kiosk/idle", test_idle);
  g_test_add_func ("/ow/kiosk/controls", test_controls);
  status = g_test_run ();

  test_cups_stop (cups);
  g_free (receipt_output);
  test_hall_free (hall);
  return status;
}
