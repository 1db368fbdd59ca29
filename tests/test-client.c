/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-client.h"
#include "ow-test-server.h"

/* OwClient against the real server: calls, errors, and an event stream that survives the
 * server being killed and restarted. */

static TestHall *hall;

typedef struct
{
  JsonObject *object;
  GError     *error;
  gboolean    done;
} Result;

static void
result_cb (GObject      *source,
           GAsyncResult *async_result,
           gpointer      data)
{
  Result *result = data;

  result->object = ow_client_request_finish (OW_CLIENT (source), async_result, &result->error);
  result->done = TRUE;
}

static void
result_wait (Result *result)
{
  while (!result->done)
    g_main_context_iteration (NULL, TRUE);
}

static void
result_clear (Result *result)
{
  g_clear_pointer (&result->object, json_object_unref);
  g_clear_error (&result->error);
  result->done = FALSE;
}

static void
test_calls (void)
{
  g_autoptr(OwClient) kiosk = ow_client_new (hall->url, hall->kiosk);
  g_autoptr(OwClient) counter = ow_client_new (hall->url, NULL);
  g_autofree char *token = NULL;
  Result r = { 0 };

  ow_client_get_catalog_async (kiosk, NULL, result_cb, &r);
  result_wait (&r);
  g_assert_no_error (r.error);
  g_assert_true (json_object_has_member (r.object, "services"));
  result_clear (&r);

  ow_client_issue_ticket_async (kiosk, "biz-reg", FALSE, NULL, NULL, result_cb, &r);
  result_wait (&r);
  g_assert_no_error (r.error);
  token = g_strdup (json_object_get_string_member (r.object, "token"));
  g_assert_true (json_object_has_member (r.object, "status_url"));
  result_clear (&r);

  /* No token yet. */
  ow_client_window_act_async (counter, "w1", "call", NULL, NULL, result_cb, &r);
  result_wait (&r);
  g_assert_error (r.error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_UNAUTHORIZED);
  result_clear (&r);

  ow_client_login_async (counter, "c1", "0000", "w1", NULL, result_cb, &r);
  result_wait (&r);
  g_assert_error (r.error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_UNAUTHORIZED);
  g_assert_cmpstr (ow_client_get_last_error_code (counter), ==, "auth");
  result_clear (&r);

  ow_client_login_async (counter, "c1", PIN_COUNTER, "w1", NULL, result_cb, &r);
  result_wait (&r);
  g_assert_no_error (r.error);
  g_assert_cmpstr (ow_client_get_token (counter), ==, json_object_get_string_member (r.object, "token"));
  result_clear (&r);

  ow_client_window_act_async (counter, "w1", "call", NULL, NULL, result_cb, &r);
  result_wait (&r);
  g_assert_no_error (r.error);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (r.object, "ticket"), "token"), ==, token);
  result_clear (&r);

  ow_client_window_act_async (counter, "w2", "call", NULL, NULL, result_cb, &r);
  result_wait (&r);
  g_assert_error (r.error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_FORBIDDEN);
  result_clear (&r);

  ow_client_window_act_async (counter, "w1", "call", NULL, NULL, result_cb, &r);
  result_wait (&r);
  g_assert_error (r.error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_CONFLICT);
  g_assert_cmpstr (ow_client_get_last_error_code (counter), ==, "window_busy");
  result_clear (&r);

  ow_client_get_window_async (counter, "w1", NULL, result_cb, &r);
  result_wait (&r);
  g_assert_no_error (r.error);
  g_assert_true (json_object_has_member (r.object, "waiting_list"));
  result_clear (&r);

  ow_client_list_queues_async (counter, NULL, result_cb, &r);
  result_wait (&r);
  g_assert_no_error (r.error);
  result_clear (&r);

  ow_client_list_windows_async (counter, NULL, result_cb, &r);
  result_wait (&r);
  g_assert_no_error (r.error);
  result_clear (&r);

  ow_client_get_ticket_async (counter, token, NULL, result_cb, &r);
  result_wait (&r);
  g_assert_no_error (r.error);
  g_assert_cmpstr (json_object_get_string_member (r.object, "state"), ==, "called");
  result_clear (&r);

  ow_client_rate_async (counter, token, 5, NULL, NULL, result_cb, &r);
  result_wait (&r);
  g_assert_error (r.error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_CONFLICT);
  result_clear (&r);

  ow_client_get_stats_async (counter, NULL, NULL, NULL, result_cb, &r);
  result_wait (&r);
  g_assert_error (r.error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_FORBIDDEN);
  result_clear (&r);

  {
    g_autoptr(OwClient) super = ow_client_new (hall->url, NULL);

    ow_client_login_async (super, "super", PIN_SUPERVISOR, NULL, NULL, result_cb, &r);
    result_wait (&r);
    g_assert_no_error (r.error);
    result_clear (&r);
    ow_client_get_audit_async (super, 0, 10, NULL, result_cb, &r);
    result_wait (&r);
    g_assert_no_error (r.error);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r.object, "events")), ==, 10);
    result_clear (&r);
    ow_client_verify_audit_async (super, NULL, result_cb, &r);
    result_wait (&r);
    g_assert_no_error (r.error);
    g_assert_true (json_object_get_boolean_member (r.object, "ok"));
    result_clear (&r);
    ow_client_get_stats_async (super, NULL, NULL, NULL, result_cb, &r);
    result_wait (&r);
    g_assert_no_error (r.error);
    result_clear (&r);
    ow_client_logout_async (super, NULL, result_cb, &r);
    result_wait (&r);
    g_assert_no_error (r.error);
    result_clear (&r);
  }

  ow_client_window_act_async (counter, "w1", "complete", NULL, NULL, result_cb, &r);
  result_wait (&r);
  g_assert_no_error (r.error);
  result_clear (&r);
}

static void
test_network_error (void)
{
  g_autoptr(OwClient) client = ow_client_new ("http://127.0.0.1:1", NULL);
  Result r = { 0 };

  ow_client_list_queues_async (client, NULL, result_cb, &r);
  result_wait (&r);
  g_assert_error (r.error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_NETWORK);
  result_clear (&r);
}

typedef struct
{
  GArray *seqs;
  guint   online_changes;
} Seen;

static void
event_cb (OwClient   *client,
          JsonObject *event,
          Seen       *seen)
{
  gint64 seq = json_object_get_int_member (event, "seq");

  g_array_append_val (seen->seqs, seq);
}

static void
online_cb (OwClient   *client,
           GParamSpec *pspec,
           Seen       *seen)
{
  seen->online_changes++;
}

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_for (gboolean (*check) (OwClient *, Seen *, guint),
          OwClient *client,
          Seen     *seen,
          guint     n)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (30, timeout_cb, &timed_out);

  while (!check (client, seen, n) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  g_assert_true (check (client, seen, n));
}

static gboolean
is_online (OwClient *client, Seen *seen, guint n)
{
  return ow_client_get_online (client) == (gboolean) n;
}

static gboolean
has_events (OwClient *client, Seen *seen, guint n)
{
  return seen->seqs->len >= n;
}

static void
issue_with (OwClient *kiosk,
            guint     n)
{
  for (guint i = 0; i < n; i++)
    {
      Result r = { 0 };

      ow_client_issue_ticket_async (kiosk, "dibao", FALSE, NULL, NULL, result_cb, &r);
      result_wait (&r);
      g_assert_no_error (r.error);
      result_clear (&r);
    }
}

static void
issue (guint n)
{
  g_autoptr(OwClient) kiosk = ow_client_new (hall->url, hall->kiosk);

  issue_with (kiosk, n);
}

static void
test_events_reconnect (void)
{
  g_autoptr(OwClient) board = ow_client_new (hall->url, hall->board);
  Seen seen = { g_array_new (FALSE, FALSE, sizeof (gint64)), 0 };
  gint64 first;
  g_autofree char *listen = NULL;
  const char *port;

  g_signal_connect (board, "event", G_CALLBACK (event_cb), &seen);
  g_signal_connect (board, "notify::online", G_CALLBACK (online_cb), &seen);
  ow_client_start_events (board, -1);
  wait_for (is_online, board, &seen, TRUE);
  first = ow_client_get_last_seq (board);
  g_assert_cmpint (first, >, 0);

  issue (3);
  wait_for (has_events, board, &seen, 3);

  /* Kill the server; the hall goes on through the CLI meanwhile. */
  port = strrchr (hall->url, ':') + 1;
  listen = g_strdup_printf ("127.0.0.1:%s", port);
  g_free (hall->listen);
  hall->listen = g_strdup (listen);
  test_hall_stop_server (hall, SIGKILL);
  wait_for (is_online, board, &seen, FALSE);
  for (int i = 0; i < 4; i++)
    g_free (test_cli (hall, NULL, "ticket", "issue", "dibao", NULL));

  /* Back on the same address: the client finds it by itself and resumes. */
  test_hall_start_server (hall);
  wait_for (is_online, board, &seen, TRUE);
  issue (2);
  wait_for (has_events, board, &seen, 3 + 4 + 2);

  for (guint i = 0; i < seen.seqs->len; i++)
    g_assert_cmpint (g_array_index (seen.seqs, gint64, i), ==, first + 1 + i);
  g_assert_cmpint (ow_client_get_last_seq (board), ==, first + seen.seqs->len);
  g_assert_cmpuint (seen.online_changes, >=, 3);

  ow_client_stop_events (board);
  g_assert_false (ow_client_get_online (board));
  g_array_unref (seen.seqs);
}

/* A kiosk or counter sends its writes over one kept-alive connection, as it does its reads
 * (libsoup would open a new one for every POST), and its next write still goes through after
 * the server restarts. */
static void
test_one_connection (void)
{
  g_autoptr(OwClient) kiosk = ow_client_new (hall->url, hall->kiosk);
  g_autofree char *listen = g_strdup_printf ("127.0.0.1:%s", strrchr (hall->url, ':') + 1);
  guint before;

  issue_with (kiosk, 1);
  before = test_hall_count_fds (hall);
  issue_with (kiosk, 20);
  g_assert_cmpuint (test_hall_count_fds (hall), <=, before);

  g_free (hall->listen);
  hall->listen = g_steal_pointer (&listen);
  test_hall_stop_server (hall, SIGKILL);
  test_hall_start_server (hall);
  issue_with (kiosk, 2);
  test_hall_stop_server (hall, SIGTERM);
  test_hall_start_server (hall);
  issue_with (kiosk, 2);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  hall = test_hall_new ();

  g_test_add_func ("/ow/client/calls", test_calls);
  g_test_add_func ("/ow/client/network-error", test_network_error);
  g_test_add_func ("/ow/client/events-reconnect", test_events_reconnect);
  g_test_add_func ("/ow/client/one-connection", test_one_connection);

  status = g_test_run ();
  test_hall_free (hall);
  return status;
}
