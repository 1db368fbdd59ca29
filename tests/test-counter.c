/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-appkit.h"
#include "ow-counter-session.h"
#include "ow-counter-transfer-dialog.h"
#include "ow-counter-window.h"
#include "ow-test-server.h"

#include <sqlite3.h>
#ifdef HAVE_PRINT
#include "ow-test-cups.h"
#endif

/* The counter app's real widgets under Xvfb against a real hall server: each test gets its own
 * hall (database, staff, devices, server process) so queues never leak between tests. */

typedef struct
{
  TestHall *hall;
} Fixture;

typedef struct
{
  OwClient         *client;
  OwCounterSession *session;
  OwCounterWindow  *window;
} Counter;

/* A hall made once (database, catalogue, 32 staff with argon2id PINs, devices: seconds of
 * work), copied for each test, which then starts its own server on the copy. */
static TestHall *template_hall;

static void
copy_file (const char *from,
           const char *to)
{
  g_autoptr(GFile) source = g_file_new_for_path (from);
  g_autoptr(GFile) target = g_file_new_for_path (to);
  g_autoptr(GError) error = NULL;

  if (!g_file_test (from, G_FILE_TEST_EXISTS))
    return;
  g_file_copy (source, target, G_FILE_COPY_NONE, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  TestHall *hall = g_new0 (TestHall, 1);
  g_autoptr(GError) error = NULL;

  hall->dir = g_dir_make_tmp ("ow-counter-test-XXXXXX", &error);
  g_assert_no_error (error);
  hall->db = g_build_filename (hall->dir, "hall.db", NULL);
  hall->catalog = g_build_filename (hall->dir, "catalog.json", NULL);
  copy_file (template_hall->catalog, hall->catalog);
  copy_file (template_hall->db, hall->db);
  for (guint i = 0; i < 2; i++)
    {
      const char *suffix = i == 0 ? "-wal" : "-shm";
      g_autofree char *from = g_strconcat (template_hall->db, suffix, NULL);
      g_autofree char *to = g_strconcat (hall->db, suffix, NULL);

      copy_file (from, to);
    }
  hall->kiosk = g_strdup (template_hall->kiosk);
  hall->board = g_strdup (template_hall->board);
  hall->revoked = g_strdup (template_hall->revoked);
  hall->session = soup_session_new_with_options ("timeout", 30, NULL);
  test_hall_start_server (hall);
  fixture->hall = hall;
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  test_hall_free (fixture->hall);
}

/* Main loop helpers */

typedef gboolean (*Condition) (gpointer data);

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_until_full (Condition   condition,
                 gpointer    data,
                 const char *what)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (30, timeout_cb, &timed_out);

  while (!condition (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("timed out waiting for %s", what);
  g_source_remove (id);
}

#define wait_until(condition, data) wait_until_full ((Condition) (condition), (data), #condition)

static void
spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, timeout_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* Widget helpers */

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

static GtkWidget *
widget (gpointer    root,
        const char *name)
{
  GtkWidget *found = find_widget (GTK_WIDGET (root), name);

  if (found == NULL)
    g_error ("no widget named %s", name);
  return found;
}

static const char *
label (gpointer    root,
       const char *name)
{
  return gtk_label_get_label (GTK_LABEL (widget (root, name)));
}

/* Collects the text of every label under @root, to look for a line. */
static void
collect_text (GtkWidget *root,
              GString   *out)
{
  if (GTK_IS_LABEL (root))
    {
      g_string_append (out, gtk_label_get_text (GTK_LABEL (root)));
      g_string_append_c (out, '\n');
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    collect_text (child, out);
}

static char *
text_of (gpointer    root,
         const char *name)
{
  GString *out = g_string_new (NULL);

  collect_text (widget (root, name), out);
  return g_string_free (out, FALSE);
}

static void
click (gpointer    root,
       const char *name)
{
  GtkWidget *button = widget (root, name);

  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

static void
type_into (gpointer    root,
           const char *name,
           const char *text)
{
  GtkWidget *entry = widget (root, name);

  gtk_editable_set_text (GTK_EDITABLE (entry), text);
}

/* Presses a keyboard shortcut the way GTK would: finds the shortcut whose trigger is @accel
 * among the widget's own controllers (its class's key bindings) and activates it. */
static gboolean
press (gpointer    target,
       const char *accel)
{
  g_autoptr(GtkShortcutTrigger) wanted = gtk_shortcut_trigger_parse_string (accel);
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (target));

  g_assert_nonnull (wanted);
  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);

          if (gtk_shortcut_trigger_equal (gtk_shortcut_get_trigger (shortcut), wanted))
            return gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut), GTK_SHORTCUT_ACTION_EXCLUSIVE,
                                                 GTK_WIDGET (target), gtk_shortcut_get_arguments (shortcut));
        }
    }
  g_error ("no shortcut %s", accel);
  return FALSE;
}

static gboolean
action_enabled (Counter    *counter,
                const char *name)
{
  gboolean enabled = FALSE;

  g_assert_true (gtk_widget_get_first_child (GTK_WIDGET (counter->window)) != NULL);
  /* The button's sensitivity follows its action. */
  enabled = gtk_widget_is_sensitive (widget (counter->window, name));
  return enabled;
}

/* Counters */

static Counter *
counter_new (TestHall   *hall,
             const char *window_id)
{
  Counter *counter = g_new0 (Counter, 1);

  counter->client = ow_client_new (hall->url, NULL);
  counter->session = ow_counter_session_new (counter->client, window_id);
  counter->window = ow_counter_window_new (NULL, counter->session);
  gtk_window_present (GTK_WINDOW (counter->window));
  return counter;
}

static void
counter_free (Counter *counter)
{
  gtk_window_destroy (GTK_WINDOW (counter->window));
  g_clear_object (&counter->session);
  g_clear_object (&counter->client);
  g_free (counter);
}

static gboolean
is_ready (Counter *counter)
{
  return ow_counter_session_get_signed_in (counter->session) &&
         ow_counter_session_get_online (counter->session) &&
         ow_counter_session_get_window (counter->session) != NULL &&
         ow_counter_session_get_catalog (counter->session) != NULL &&
         !ow_counter_session_get_busy (counter->session);
}

static gboolean
is_idle (Counter *counter)
{
  return !ow_counter_session_get_busy (counter->session);
}

static void
sign_in (Counter    *counter,
         const char *staff)
{
  type_into (counter->window, "staff-entry", staff);
  type_into (counter->window, "pin-entry", PIN_COUNTER);
  g_signal_emit_by_name (widget (counter->window, "pin-entry"), "activate");
  wait_until (is_ready, counter);
}

static Counter *
counter_signed_in (TestHall   *hall,
                   const char *window_id,
                   const char *staff)
{
  Counter *counter = counter_new (hall, window_id);

  sign_in (counter, staff);
  return counter;
}

/* Hall helpers */

static JsonObject *
issue (TestHall   *hall,
       const char *service,
       gboolean    green)
{
  g_autofree char *body = green
    ? g_strdup_printf ("{\"service\": \"%s\", \"green\": true, \"green_category\": \"elderly\"}", service)
    : g_strdup_printf ("{\"service\": \"%s\"}", service);

  return test_http (hall, "POST", "/api/v1/tickets", hall->kiosk, body, 201);
}

static JsonObject *
ticket_show (TestHall   *hall,
             const char *number)
{
  g_autofree char *out = test_cli (hall, NULL, "--json", "ticket", "show", number, NULL);

  return parse_object (out);
}

static JsonObject *
window_show (TestHall   *hall,
             const char *id)
{
  g_autofree char *out = test_cli (hall, NULL, "--json", "window", "list", NULL);
  g_autoptr(JsonObject) list = parse_object (out);
  JsonArray *windows = json_object_get_array_member (list, "windows");

  for (guint i = 0; i < json_array_get_length (windows); i++)
    {
      JsonObject *window = json_array_get_object_element (windows, i);

      if (g_strcmp0 (json_object_get_string_member (window, "id"), id) == 0)
        return json_object_ref (window);
    }
  g_error ("no window %s", id);
  return NULL;
}

static guint
count_events (TestHall   *hall,
              const char *number,
              const char *action)
{
  g_autoptr(JsonObject) ticket = ticket_show (hall, number);
  JsonArray *history = json_object_get_array_member (ticket, "history");
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (history); i++)
    n += g_strcmp0 (json_object_get_string_member (json_array_get_object_element (history, i), "action"), action) == 0;
  return n;
}

typedef struct
{
  Counter    *counter;
  const char *number;
} Holding;

static gboolean
holds (Holding *h)
{
  JsonObject *ticket = ow_counter_session_get_ticket (h->counter->session);

  return !ow_counter_session_get_busy (h->counter->session) &&
         g_strcmp0 (ticket != NULL ? json_object_get_string_member_with_default (ticket, "number", NULL) : NULL, h->number) == 0;
}

static void
wait_holding (Counter    *counter,
              const char *number)
{
  Holding h = { counter, number };

  wait_until (holds, &h);
}

static gboolean
waiting_has (Holding *h)
{
  JsonArray *waiting = ow_counter_session_get_waiting (h->counter->session);

  for (guint i = 0; waiting != NULL && i < json_array_get_length (waiting); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (waiting, i), "number"), h->number) == 0)
      return find_widget (widget (h->counter->window, "waiting-list"), h->number) != NULL;
  return FALSE;
}

static void
wait_waiting (Counter    *counter,
              const char *number)
{
  Holding h = { counter, number };

  wait_until (waiting_has, &h);
}

static const char *
state_of (TestHall   *hall,
          const char *number,
          char      **out)
{
  g_autoptr(JsonObject) ticket = ticket_show (hall, number);

  g_free (*out);
  *out = g_strdup (json_object_get_string_member (ticket, "state"));
  return *out;
}

/* Tests */

static gboolean
has_sign_in_error (Counter *counter)
{
  return is_idle (counter) && *label (counter->window, "sign-in-error") != '\0';
}

static gboolean
is_signed_out (Counter *counter)
{
  return is_idle (counter) && !ow_counter_session_get_signed_in (counter->session);
}

static void
test_sign_in (Fixture       *fixture,
              gconstpointer  data)
{
  Counter *counter = counter_new (fixture->hall, "w1");
  g_autoptr(JsonObject) before = NULL;
  g_autoptr(JsonObject) during = NULL;
  g_autoptr(JsonObject) after = NULL;
  GtkStack *stack;

  stack = GTK_STACK (gtk_widget_get_parent (gtk_widget_get_parent (widget (counter->window, "staff-entry"))));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "sign-in");

  /* A wrong PIN: refused, still on the sign-in page, nothing staffed. */
  type_into (counter->window, "staff-entry", "c1");
  type_into (counter->window, "pin-entry", "0000");
  click (counter->window, "sign-in-button");
  wait_until (has_sign_in_error, counter);
  g_assert_false (ow_counter_session_get_signed_in (counter->session));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "sign-in");
  before = window_show (fixture->hall, "w1");
  g_assert_true (json_object_get_null_member (before, "staff"));

  sign_in (counter, "c1");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "work");
  during = window_show (fixture->hall, "w1");
  g_assert_cmpstr (json_object_get_string_member (during, "staff"), ==, "c1");
  g_assert_true (action_enabled (counter, "call-next-button"));
  g_assert_false (action_enabled (counter, "recall-button"));
  g_assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (widget (counter->window, "offline-banner"))));

  click (counter->window, "sign-out-button");
  wait_until (is_signed_out, counter);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "sign-in");
  g_assert_null (ow_client_get_token (counter->client));
  after = window_show (fixture->hall, "w1");
  counter_free (counter);
  /* Signed out: the board shows the window closed (nobody staffs it). */
  g_assert_true (json_object_get_null_member (after, "staff"));
}

static void
test_call_recall_no_show (Fixture       *fixture,
                          gconstpointer  data)
{
  TestHall *hall = fixture->hall;
  Counter *counter = counter_signed_in (hall, "w1", "c1");
  g_autoptr(JsonObject) first = issue (hall, "biz-reg", FALSE);
  const char *number = json_object_get_string_member (first, "number");
  g_autofree char *state = NULL;
  g_autoptr(JsonObject) ticket = NULL;

  wait_waiting (counter, number);
  click (counter->window, "call-next-button");
  wait_holding (counter, number);
  g_assert_cmpstr (label (counter->window, "ticket-number"), ==, number);
  g_assert_cmpstr (state_of (hall, number, &state), ==, "called");
  g_assert_false (action_enabled (counter, "call-next-button"));

  click (counter->window, "recall-button");
  wait_until (is_idle, counter);
  ticket = ticket_show (hall, number);
  g_assert_cmpint (json_object_get_int_member (ticket, "recalls"), ==, 1);

  /* The first no-show puts it back in the queue, the second ends it. */
  click (counter->window, "no-show-button");
  wait_holding (counter, NULL);
  g_assert_cmpstr (state_of (hall, number, &state), ==, "waiting");
  g_assert_nonnull (strstr (label (counter->window, "outcome"), number));
  wait_waiting (counter, number);

  click (counter->window, "call-next-button");
  wait_holding (counter, number);
  click (counter->window, "no-show-button");
  wait_holding (counter, NULL);
  g_assert_cmpstr (state_of (hall, number, &state), ==, "no_show");
  g_assert_cmpuint (count_events (hall, number, "no-show"), ==, 2);
  counter_free (counter);
}

static gboolean
lookup_shown (Counter *counter)
{
  return gtk_widget_get_visible (widget (counter->window, "lookup"));
}

static gboolean
served_one (Counter *counter)
{
  return strstr (label (counter->window, "figures"), "已办结：1") != NULL;
}

static void
test_four_steps (Fixture       *fixture,
                 gconstpointer  data)
{
  TestHall *hall = fixture->hall;
  g_autoptr(JsonObject) issued = issue (hall, "biz-reg", FALSE);
  const char *number = json_object_get_string_member (issued, "number");
  const char *url = json_object_get_string_member (issued, "status_url");
  Counter *review = counter_signed_in (hall, "w1", "c1");
  Counter *accept = counter_signed_in (hall, "w3", "c3");
  g_autofree char *state = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *history = NULL;
  Counter *fee, *licence;

  /* Review at window 1: the screen says where the ticket went. */
  wait_waiting (review, number);
  click (review->window, "call-next-button");
  wait_holding (review, number);
  click (review->window, "start-button");
  wait_until (is_idle, review);
  g_assert_cmpstr (label (review->window, "ticket-state"), ==, "正在办理");
  click (review->window, "complete-button");
  wait_holding (review, NULL);
  expected = g_strdup_printf ("%s → 3号窗口 / 4号窗口 受理", number);
  g_assert_cmpstr (label (review->window, "outcome"), ==, expected);

  /* The second counter sees it arrive live, and the citizen's QR code pulls it up. */
  wait_waiting (accept, number);
  type_into (accept->window, "search-entry", url);
  g_signal_emit_by_name (widget (accept->window, "search-entry"), "activate");
  wait_until (lookup_shown, accept);
  g_assert_nonnull (strstr (label (accept->window, "lookup"), number));
  g_assert_nonnull (strstr (label (accept->window, "lookup"), "受理"));
  ow_counter_session_clear_lookup (accept->session);
  type_into (accept->window, "search-entry", number);
  g_signal_emit_by_name (widget (accept->window, "search-entry"), "activate");
  wait_until (lookup_shown, accept);
  g_assert_nonnull (strstr (label (accept->window, "lookup"), number));

  click (accept->window, "call-next-button");
  wait_holding (accept, number);
  /* The step already done, by whom. */
  history = text_of (accept->window, "history");
  g_assert_nonnull (strstr (history, "材料预审"));
  g_assert_nonnull (strstr (history, "c1"));
  g_assert_cmpstr (label (accept->window, "ticket-step"), ==, "第 2 步，共 4 步：受理");
  click (accept->window, "complete-button");
  wait_holding (accept, NULL);
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("%s → 9号收费窗口 缴费", number);
  g_assert_cmpstr (label (accept->window, "outcome"), ==, expected);
  counter_free (review);
  counter_free (accept);

  /* Fee and issuance at two more counters. */
  fee = counter_signed_in (hall, "w9", "c9");
  licence = counter_signed_in (hall, "w10", "c10");
  wait_waiting (fee, number);
  click (fee->window, "call-next-button");
  wait_holding (fee, number);
  click (fee->window, "complete-button");
  wait_holding (fee, NULL);
  wait_waiting (licence, number);
  click (licence->window, "call-next-button");
  wait_holding (licence, number);
  click (licence->window, "complete-button");
  wait_holding (licence, NULL);
  g_assert_cmpstr (state_of (hall, number, &state), ==, "completed");
  g_assert_nonnull (strstr (label (licence->window, "outcome"), number));
  g_assert_cmpuint (count_events (hall, number, "complete"), ==, 4);
  /* The figures follow the event stream, which may trail the action's own answer. */
  wait_until (served_one, licence);
  counter_free (fee);
  counter_free (licence);
}

static gboolean
has_dialog (Counter *counter)
{
  return ow_counter_window_get_dialog (counter->window) != NULL;
}

static void
test_return (Fixture       *fixture,
             gconstpointer  data)
{
  TestHall *hall = fixture->hall;
  Counter *counter = counter_signed_in (hall, "w1", "c1");
  g_autoptr(JsonObject) issued = issue (hall, "biz-reg", FALSE);
  const char *number = json_object_get_string_member (issued, "number");
  g_autofree char *path = g_strdup_printf ("/api/v1/tickets/%s", json_object_get_string_member (issued, "token"));
  g_autoptr(JsonObject) status = NULL;
  g_autofree char *state = NULL;
  JsonArray *missing;
  GtkWindow *dialog;

  wait_waiting (counter, number);
  click (counter->window, "call-next-button");
  wait_holding (counter, number);
  click (counter->window, "return-button");
  wait_until (has_dialog, counter);
  dialog = ow_counter_window_get_dialog (counter->window);
  g_assert_false (gtk_widget_is_sensitive (widget (dialog, "submit-button")));
  gtk_check_button_set_active (GTK_CHECK_BUTTON (widget (dialog, "id-card")), TRUE);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (widget (dialog, "premises-proof")), TRUE);
  click (dialog, "submit-button");
  wait_holding (counter, NULL);
  g_assert_null (ow_counter_window_get_dialog (counter->window));
  g_assert_cmpstr (state_of (hall, number, &state), ==, "returned");

  /* The citizen's status lists exactly those documents. */
  status = test_http (hall, "GET", path, NULL, NULL, 200);
  missing = json_object_get_array_member (status, "missing_documents");
  g_assert_cmpuint (json_array_get_length (missing), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (missing, 0), "id"), ==, "id-card");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (missing, 1), "id"), ==, "premises-proof");
  g_assert_nonnull (strstr (label (counter->window, "outcome"), "居民身份证"));
  counter_free (counter);
}

/* 容缺受理 at the counter: the step is completed on the citizen's promise, and the next
 * counter sees which documents are still owed. */
static void
test_promise (Fixture       *fixture,
              gconstpointer  data)
{
  TestHall *hall = fixture->hall;
  Counter *counter = counter_signed_in (hall, "w1", "c1");
  g_autoptr(JsonObject) issued = issue (hall, "biz-reg", FALSE);
  const char *number = json_object_get_string_member (issued, "number");
  g_autoptr(JsonObject) ticket = NULL;
  JsonObject *promise;
  GtkWindow *dialog;

  wait_waiting (counter, number);
  click (counter->window, "call-next-button");
  wait_holding (counter, number);
  click (counter->window, "promise-button");
  wait_until (has_dialog, counter);
  dialog = ow_counter_window_get_dialog (counter->window);
  g_assert_true (gtk_widget_get_visible (widget (dialog, "deadline-entry")));
  g_assert_false (gtk_widget_get_visible (widget (dialog, "reason-entry")));
  g_assert_false (gtk_widget_is_sensitive (widget (dialog, "submit-button")));
  gtk_check_button_set_active (GTK_CHECK_BUTTON (widget (dialog, "premises-proof")), TRUE);
  if (g_getenv ("OW_SCREENSHOT_DIR") != NULL)
    {
      g_autofree char *path = g_build_filename (g_getenv ("OW_SCREENSHOT_DIR"), "counter-promise.png", NULL);
      g_autoptr(GError) error = NULL;

      spin (300);
      g_assert_true (ow_widget_save_png (GTK_WIDGET (dialog), path, &error));
    }
  click (dialog, "submit-button");
  wait_holding (counter, NULL);

  ticket = ticket_show (hall, number);
  g_assert_cmpstr (json_object_get_string_member (ticket, "step"), ==, "biz-reg/accept");
  g_assert_cmpstr (json_object_get_string_member (ticket, "state"), ==, "waiting");
  promise = json_object_get_object_member (ticket, "promise");
  g_assert_nonnull (promise);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (promise, "documents"), 0),
                   ==, "premises-proof");
  counter_free (counter);

  /* Acceptance, at window 3, lists the document as owed. */
  counter = counter_signed_in (hall, "w3", "c3");
  wait_waiting (counter, number);
  click (counter->window, "call-next-button");
  wait_holding (counter, number);
  {
    g_autofree char *documents = text_of (counter->window, "documents");

    g_assert_nonnull (strstr (documents, json_object_get_string_member (promise, "deadline")));
  }
  counter_free (counter);
}

static void
test_transfer (Fixture       *fixture,
               gconstpointer  data)
{
  TestHall *hall = fixture->hall;
  Counter *counter = counter_signed_in (hall, "w1", "c1");
  g_autoptr(JsonObject) a = issue (hall, "biz-reg", FALSE);
  g_autoptr(JsonObject) b = issue (hall, "biz-reg", FALSE);
  const char *first = json_object_get_string_member (a, "number");
  const char *second = json_object_get_string_member (b, "number");
  g_autoptr(JsonObject) ticket = NULL;
  GtkWindow *dialog;

  /* To a step, with a reason. */
  wait_waiting (counter, second);
  click (counter->window, "call-next-button");
  wait_holding (counter, first);
  click (counter->window, "transfer-button");
  wait_until (has_dialog, counter);
  dialog = ow_counter_window_get_dialog (counter->window);
  g_assert_true (ow_counter_transfer_dialog_select (OW_COUNTER_TRANSFER_DIALOG (dialog), "biz-reg/accept"));
  g_assert_false (gtk_widget_is_sensitive (widget (dialog, "submit-button")));
  type_into (dialog, "reason-entry", "材料齐全，直接受理");
  click (dialog, "submit-button");
  wait_holding (counter, NULL);
  ticket = ticket_show (hall, first);
  g_assert_cmpstr (json_object_get_string_member (ticket, "step"), ==, "biz-reg/accept");
  g_assert_cmpstr (json_object_get_string_member (ticket, "state"), ==, "waiting");
  g_assert_nonnull (strstr (label (counter->window, "outcome"), "受理"));
  g_clear_pointer (&ticket, json_object_unref);

  /* To a named window. */
  click (counter->window, "call-next-button");
  wait_holding (counter, second);
  click (counter->window, "transfer-button");
  wait_until (has_dialog, counter);
  dialog = ow_counter_window_get_dialog (counter->window);
  g_assert_true (ow_counter_transfer_dialog_select (OW_COUNTER_TRANSFER_DIALOG (dialog), "w2"));
  type_into (dialog, "reason-entry", "需要2号窗口复核");
  click (dialog, "submit-button");
  wait_holding (counter, NULL);
  ticket = ticket_show (hall, second);
  g_assert_cmpstr (json_object_get_string_member (ticket, "target_window"), ==, "w2");
  g_assert_nonnull (strstr (label (counter->window, "outcome"), "2号综合窗口"));
  counter_free (counter);
}

static gboolean
is_paused (Counter *counter)
{
  JsonObject *window = ow_counter_session_get_window (counter->session);

  return is_idle (counter) && window != NULL && json_object_get_boolean_member_with_default (window, "paused", FALSE);
}

static gboolean
is_open (Counter *counter)
{
  JsonObject *window = ow_counter_session_get_window (counter->session);

  return is_idle (counter) && window != NULL && !json_object_get_boolean_member_with_default (window, "paused", TRUE);
}

static void
test_pause (Fixture       *fixture,
            gconstpointer  data)
{
  TestHall *hall = fixture->hall;
  Counter *counter = counter_signed_in (hall, "w1", "c1");
  g_autoptr(JsonObject) window = NULL;
  GtkWindow *dialog;

  click (counter->window, "pause-button");
  wait_until (has_dialog, counter);
  dialog = ow_counter_window_get_dialog (counter->window);
  /* A pause needs its reason. */
  g_assert_false (gtk_widget_is_sensitive (widget (dialog, "submit-button")));
  type_into (dialog, "reason-entry", "午休");
  click (dialog, "submit-button");
  wait_until (is_paused, counter);
  window = window_show (hall, "w1");
  g_assert_true (json_object_get_boolean_member (window, "paused"));
  g_assert_cmpstr (json_object_get_string_member (window, "pause_reason"), ==, "午休");
  g_assert_false (action_enabled (counter, "call-next-button"));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (widget (counter->window, "pause-button"))), ==, "恢复服务 (F8)");
  g_clear_pointer (&window, json_object_unref);

  click (counter->window, "pause-button");
  wait_until (has_dialog, counter);
  dialog = ow_counter_window_get_dialog (counter->window);
  click (dialog, "submit-button");
  wait_until (is_open, counter);
  window = window_show (hall, "w1");
  g_assert_false (json_object_get_boolean_member (window, "paused"));
  g_assert_true (action_enabled (counter, "call-next-button"));
  counter_free (counter);
}

static gboolean
is_offline (Counter *counter)
{
  return !ow_counter_session_get_online (counter->session) &&
         gtk_revealer_get_reveal_child (GTK_REVEALER (widget (counter->window, "offline-banner")));
}

static void
test_server_restart (Fixture       *fixture,
                     gconstpointer  data)
{
  TestHall *hall = fixture->hall;
  Counter *counter = counter_signed_in (hall, "w1", "c1");
  g_autoptr(JsonObject) issued = issue (hall, "biz-reg", FALSE);
  const char *number = json_object_get_string_member (issued, "number");
  g_autofree char *listen = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonObject) meanwhile = NULL;
  const char *later;
  const char *names[] = { "call-next-button", "recall-button", "no-show-button", "start-button",
                          "complete-button", "return-button", "transfer-button", "pause-button",
                          "reprint-button" };

  wait_waiting (counter, number);
  click (counter->window, "call-next-button");
  wait_holding (counter, number);

  /* The server dies: a banner, and nothing can be sent. */
  listen = g_strdup_printf ("127.0.0.1:%s", strrchr (hall->url, ':') + 1);
  g_free (hall->listen);
  hall->listen = g_strdup (listen);
  test_hall_stop_server (hall, SIGKILL);
  wait_until (is_offline, counter);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_false (action_enabled (counter, names[i]));
  g_assert_false (ow_counter_session_act (counter->session, "complete", NULL));

  /* The hall goes on meanwhile (the CLI on the same database). */
  out = test_cli (hall, NULL, "--json", "ticket", "issue", "biz-reg", NULL);
  meanwhile = parse_object (out);
  later = json_object_get_string_member (meanwhile, "number");

  /* Back on the same address: the counter reconnects by itself and catches up. */
  test_hall_start_server (hall);
  wait_until (is_ready, counter);
  wait_waiting (counter, later);
  g_assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (widget (counter->window, "offline-banner"))));
  g_assert_cmpstr (label (counter->window, "ticket-number"), ==, number);
  g_assert_true (action_enabled (counter, "complete-button"));
  click (counter->window, "complete-button");
  wait_holding (counter, NULL);
  click (counter->window, "call-next-button");
  wait_holding (counter, later);
  counter_free (counter);
}

static void
test_keyboard (Fixture       *fixture,
               gconstpointer  data)
{
  TestHall *hall = fixture->hall;
  Counter *counter = counter_signed_in (hall, "w1", "c1");
  g_autoptr(JsonObject) a = issue (hall, "biz-reg", FALSE);
  g_autoptr(JsonObject) b = issue (hall, "biz-reg", FALSE);
  const char *first = json_object_get_string_member (a, "number");
  const char *second = json_object_get_string_member (b, "number");
  g_autofree char *state = NULL;
  g_autoptr(JsonObject) ticket = NULL;
  GtkWidget *focus;
  GtkWindow *dialog;

  wait_waiting (counter, second);
  g_assert_true (press (counter->window, "F1"));       /* call */
  wait_holding (counter, first);
  g_assert_true (press (counter->window, "F2"));       /* recall */
  wait_until (is_idle, counter);
  g_assert_true (press (counter->window, "F4"));       /* start */
  wait_until (is_idle, counter);
  g_assert_cmpstr (state_of (hall, first, &state), ==, "serving");
  g_assert_true (press (counter->window, "F5"));       /* complete */
  wait_holding (counter, NULL);
  g_assert_cmpstr (state_of (hall, first, &state), ==, "waiting");
  g_assert_nonnull (strstr (label (counter->window, "outcome"), "受理"));

  g_assert_true (press (counter->window, "F1"));
  wait_holding (counter, second);
  g_assert_true (press (counter->window, "F6"));       /* return: the dialog */
  wait_until (has_dialog, counter);
  dialog = ow_counter_window_get_dialog (counter->window);
  /* Alt+1 ticks the first document: a mnemonic, so the same as a click. */
  g_assert_true (gtk_widget_mnemonic_activate (widget (dialog, "id-card"), FALSE));
  g_assert_true (press (dialog, "<Control>Return"));
  wait_holding (counter, NULL);
  ticket = ticket_show (hall, second);
  g_assert_cmpstr (json_object_get_string_member (ticket, "state"), ==, "returned");
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (ticket, "missing"), 0), ==, "id-card");

  g_assert_true (press (counter->window, "F8"));       /* pause */
  wait_until (has_dialog, counter);
  dialog = ow_counter_window_get_dialog (counter->window);
  type_into (dialog, "reason-entry", "培训");
  g_assert_true (press (dialog, "<Control>Return"));
  wait_until (is_paused, counter);
  g_assert_true (press (counter->window, "F8"));       /* resume */
  wait_until (has_dialog, counter);
  g_assert_true (press (ow_counter_window_get_dialog (counter->window), "Escape"));  /* cancel */
  g_assert_null (ow_counter_window_get_dialog (counter->window));
  g_assert_true (press (counter->window, "F8"));
  wait_until (has_dialog, counter);
  g_assert_true (press (ow_counter_window_get_dialog (counter->window), "<Control>Return"));
  wait_until (is_open, counter);

  g_assert_true (press (counter->window, "F9"));       /* find: focus in the scan field */
  focus = gtk_root_get_focus (GTK_ROOT (counter->window));
  g_assert_nonnull (focus);
  g_assert_true (gtk_widget_is_ancestor (focus, widget (counter->window, "search-entry")));
  g_assert_true (press (counter->window, "<Control><Shift>q"));   /* sign out */
  wait_until (is_signed_out, counter);
  counter_free (counter);
}

static void
test_double_call (Fixture       *fixture,
                  gconstpointer  data)
{
  TestHall *hall = fixture->hall;
  Counter *counter = counter_signed_in (hall, "w1", "c1");
  g_autoptr(JsonObject) a = issue (hall, "biz-reg", FALSE);
  g_autoptr(JsonObject) b = issue (hall, "biz-reg", FALSE);
  const char *first = json_object_get_string_member (a, "number");
  const char *second = json_object_get_string_member (b, "number");
  g_autofree char *state = NULL;
  g_autoptr(JsonObject) window = NULL;
  GtkWidget *button;

  wait_waiting (counter, second);
  button = widget (counter->window, "call-next-button");
  /* A double click, then the key twice, before the first answer is back. */
  g_signal_emit_by_name (button, "clicked");
  g_assert_false (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
  press (counter->window, "F1");
  press (counter->window, "F1");
  gtk_widget_activate_action (GTK_WIDGET (counter->window), "counter.call-next", NULL);
  wait_holding (counter, first);
  spin (500);

  g_assert_cmpuint (count_events (hall, first, "call"), ==, 1);
  g_assert_cmpstr (state_of (hall, second, &state), ==, "waiting");
  window = window_show (hall, "w1");
  g_assert_cmpstr (json_object_get_string_member (window, "ticket"), ==, first);
  counter_free (counter);
}

#ifdef HAVE_PRINT
typedef struct
{
  const char *path;
} Output;

static gboolean
has_pdf (Output *output)
{
  g_autofree char *data = NULL;
  gsize length = 0;

  return g_file_get_contents (output->path, &data, &length, NULL) && length > 4 &&
         memcmp (data, "%PDF", 4) == 0;
}

static void
test_reprint (Fixture       *fixture,
              gconstpointer  data)
{
  TestHall *hall = fixture->hall;
  g_autofree char *missing = test_cups_missing ();
  g_autoptr(TestCups) cups = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *receipt = NULL;
  g_autoptr(JsonObject) issued = NULL;
  Counter *counter;
  Output output;

  if (missing != NULL)
    {
      g_test_skip (missing);
      return;
    }
  cups = test_cups_start (&error);
  g_assert_no_error (error);
  receipt = test_cups_add_queue (cups, "receipt", "gziptoany", &error);
  g_assert_no_error (error);

  counter = counter_signed_in (hall, "w1", "c1");
  ow_counter_window_set_printer (counter->window, "receipt");
  issued = issue (hall, "biz-reg", FALSE);
  wait_waiting (counter, json_object_get_string_member (issued, "number"));
  g_assert_false (action_enabled (counter, "reprint-button"));
  press (counter->window, "F1");
  wait_holding (counter, json_object_get_string_member (issued, "number"));
  g_assert_true (action_enabled (counter, "reprint-button"));
  g_assert_true (press (counter->window, "<Control>p"));
  output.path = receipt;
  wait_until (has_pdf, &output);
  counter_free (counter);
}
#endif

typedef struct
{
  Counter    *counter;
  const char *text;
} Showing;

static gboolean
figures_show (Showing *s)
{
  return strstr (label (s->counter->window, "figures"), s->text) != NULL;
}

static void
test_figures_restart (Fixture       *fixture,
                      gconstpointer  data)
{
  TestHall *hall = fixture->hall;
  g_autofree char *state = g_build_filename (hall->dir, "counter-w1.ini", NULL);
  g_autoptr(JsonObject) a = issue (hall, "biz-reg", FALSE);
  g_autoptr(JsonObject) b = NULL;
  Counter *counter = counter_new (hall, "w1");
  Showing showing = { counter, "已办结：1" };

  ow_counter_session_set_state_file (counter->session, state);
  sign_in (counter, "c1");
  wait_waiting (counter, json_object_get_string_member (a, "number"));
  press (counter->window, "F1");
  wait_holding (counter, json_object_get_string_member (a, "number"));
  press (counter->window, "F5");
  wait_holding (counter, NULL);
  wait_until (figures_show, &showing);
  counter_free (counter);

  /* While the counter is closed the window serves one more (through the CLI). */
  b = issue (hall, "biz-reg", FALSE);
  g_free (test_cli (hall, NULL, "window", "call", "w1", NULL));
  g_free (test_cli (hall, NULL, "window", "complete", "w1", NULL));

  /* Restarted the same day: it resumes after the last event it counted. */
  counter = counter_new (hall, "w1");
  ow_counter_session_set_state_file (counter->session, state);
  sign_in (counter, "c1");
  showing.counter = counter;
  showing.text = "已办结：2";
  wait_until (figures_show, &showing);
  spin (300);
  g_assert_nonnull (strstr (label (counter->window, "figures"), "已办结：2"));
  counter_free (counter);
}

static void
test_timer_level (void)
{
  g_assert_cmpint (ow_counter_timer_level (0, 900), ==, OW_COUNTER_TIMER_OK);
  g_assert_cmpint (ow_counter_timer_level (719, 900), ==, OW_COUNTER_TIMER_OK);
  g_assert_cmpint (ow_counter_timer_level (720, 900), ==, OW_COUNTER_TIMER_NEAR);
  g_assert_cmpint (ow_counter_timer_level (900, 900), ==, OW_COUNTER_TIMER_NEAR);
  g_assert_cmpint (ow_counter_timer_level (901, 900), ==, OW_COUNTER_TIMER_OVER);
  g_assert_cmpint (ow_counter_timer_level (99999, 0), ==, OW_COUNTER_TIMER_OK);
}

static void
save_screenshot (Counter    *counter,
                 const char *name)
{
  g_autofree char *dir = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "..", "docs", "screenshots", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_mkdir_with_parents (dir, 0755);
  /* Let the layout settle (toasts, revealers) before the picture. */
  spin (600);
  g_assert_true (ow_widget_save_png (GTK_WIDGET (counter->window), path, &error));
  g_assert_no_error (error);
  g_test_message ("screenshot: %s", path);
}

static gboolean
history_names_c1 (Counter *counter)
{
  g_autofree char *history = text_of (counter->window, "history");

  return strstr (history, "材料预审") != NULL && strstr (history, "c1") != NULL;
}

/* Steps done before this counter was started still show, with who did them: the server
 * hands the window's ticket over with its history. */
static void
test_history_from_server (Fixture       *fixture,
                          gconstpointer  data)
{
  TestHall *hall = fixture->hall;
  g_autoptr(JsonObject) issued = issue (hall, "biz-reg", FALSE);
  const char *number = json_object_get_string_member (issued, "number");
  g_autofree char *c1 = test_login (hall, "c1", PIN_COUNTER, "w1");
  Counter *accept;

  /* Pre-review at window 1 through the API, with no counter app running anywhere. */
  json_object_unref (test_http (hall, "POST", "/api/v1/windows/w1/call", c1, NULL, 200));
  json_object_unref (test_http (hall, "POST", "/api/v1/windows/w1/complete", c1, NULL, 200));

  accept = counter_signed_in (hall, "w3", "c3");
  wait_waiting (accept, number);
  click (accept->window, "call-next-button");
  wait_holding (accept, number);
  wait_until (history_names_c1, accept);
  counter_free (accept);
}

static void
notice_cb (OwCounterSession *session,
           const char       *message,
           gboolean          error,
           GPtrArray        *notices)
{
  g_ptr_array_add (notices, g_strdup (message));
}

static gboolean
has_notice (GPtrArray *notices)
{
  return notices->len > 0;
}

/* The hall's waiting-count alert reaches the windows that serve the service. */
static void
test_waiting_alert (Fixture       *fixture,
                    gconstpointer  data)
{
  TestHall *hall = fixture->hall;
  Counter *counter = counter_signed_in (hall, "w1", "c1");
  g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
  sqlite3 *db = NULL;

  g_signal_connect (counter->session, "notice", G_CALLBACK (notice_cb), notices);
  /* The server reads the threshold from the database at each issue. */
  g_assert_cmpint (sqlite3_open (hall->db, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE services SET alert_waiting = 2 WHERE code = 'biz-reg';"
                                     "UPDATE services SET alert_waiting = 1 WHERE code = 'stats-report'",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  json_object_unref (issue (hall, "biz-reg", FALSE));
  json_object_unref (issue (hall, "stats-report", FALSE));   /* alerts, but w1 does not serve it */
  json_object_unref (issue (hall, "biz-reg", FALSE));
  wait_until (has_notice, notices);
  g_assert_cmpuint (notices->len, ==, 1);
  g_assert_cmpstr (notices->pdata[0], ==, "排队提醒：个体工商户登记 已有 2 人等候");
  counter_free (counter);
}


static void
test_screenshots (Fixture       *fixture,
                  gconstpointer  data)
{
  TestHall *hall = fixture->hall;
  g_autoptr(JsonObject) shot = issue (hall, "biz-reg", FALSE);
  const char *number = json_object_get_string_member (shot, "number");
  g_autoptr(JsonObject) green = NULL;
  g_autoptr(JsonObject) other = NULL;
  g_autoptr(JsonObject) later = NULL;
  Counter *review = counter_signed_in (hall, "w1", "c1");
  Counter *counter = counter_signed_in (hall, "w3", "c3");
  OwCounterWindow *english;

  wait_waiting (review, number);
  click (review->window, "call-next-button");
  wait_holding (review, number);
  click (review->window, "start-button");
  wait_until (is_idle, review);
  click (review->window, "complete-button");
  wait_holding (review, NULL);
  counter_free (review);

  wait_waiting (counter, number);
  click (counter->window, "call-next-button");
  wait_holding (counter, number);
  click (counter->window, "start-button");
  wait_until (is_idle, counter);

  /* Others waiting for window 3: a green-channel citizen past pre-review, and new arrivals. */
  green = issue (hall, "biz-reg", TRUE);
  g_free (test_cli (hall, NULL, "window", "call", "w2", NULL));
  g_free (test_cli (hall, NULL, "window", "complete", "w2", NULL));
  later = issue (hall, "biz-change", FALSE);
  g_free (test_cli (hall, NULL, "window", "call", "w2", NULL));
  g_free (test_cli (hall, NULL, "window", "complete", "w2", NULL));
  other = issue (hall, "food-licence", FALSE);
  wait_waiting (counter, json_object_get_string_member (green, "number"));
  wait_waiting (counter, json_object_get_string_member (other, "number"));
  gtk_window_set_default_size (GTK_WINDOW (counter->window), 1280, 800);
  save_screenshot (counter, "counter-zh_CN.png");

  /* The same session in English: a new window reads its strings afresh. */
  ow_appkit_set_language ("en");
  english = ow_counter_window_new (NULL, counter->session);
  gtk_window_destroy (GTK_WINDOW (counter->window));
  counter->window = english;
  gtk_window_set_default_size (GTK_WINDOW (english), 1280, 800);
  gtk_window_present (GTK_WINDOW (english));
  spin (300);
  g_assert_cmpstr (label (english, "ticket-step"), ==, "Step 2 of 4: Acceptance");
  save_screenshot (counter, "counter-en.png");
  ow_appkit_set_language ("zh_CN");
  counter_free (counter);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();
  ow_appkit_init_i18n ();
  /* The hall's language; the English screenshot switches at run time. */
  ow_appkit_set_language ("zh_CN");
  ow_counter_window_load_style ();

  g_test_add_func ("/ow/counter/timer-level", test_timer_level);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/ow/counter/sign-in", test_sign_in);
  ADD ("/ow/counter/call-recall-no-show", test_call_recall_no_show);
  ADD ("/ow/counter/four-steps-two-counters", test_four_steps);
  ADD ("/ow/counter/return", test_return);
  ADD ("/ow/counter/promise", test_promise);
  ADD ("/ow/counter/transfer", test_transfer);
  ADD ("/ow/counter/pause", test_pause);
  ADD ("/ow/counter/server-restart", test_server_restart);
  ADD ("/ow/counter/keyboard", test_keyboard);
  ADD ("/ow/counter/double-call", test_double_call);
  ADD ("/ow/counter/figures-restart", test_figures_restart);
  ADD ("/ow/counter/waiting-alert", test_waiting_alert);
  ADD ("/ow/counter/history-from-server", test_history_from_server);
#ifdef HAVE_PRINT
  ADD ("/ow/counter/reprint", test_reprint);
#endif
  ADD ("/ow/counter/screenshots", test_screenshots);
#undef ADD

  template_hall = test_hall_new ();
  /* Only its database is wanted; the copies replay its write-ahead log when opened. */
  test_hall_stop_server (template_hall, SIGKILL);
  status = g_test_run ();
  test_hall_free (template_hall);
  return status;
}
