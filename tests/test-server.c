/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-core.h"
#include "ow-test-server.h"
#include "ow-test-waiting.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/socket.h>

/* The hall server, black box: the real binary, a real database, real sockets. */

static TestHall *hall;

static char *
issue_token (TestHall   *h,
             const char *service,
             char      **number)
{
  g_autofree char *body = g_strdup_printf ("{\"service\": \"%s\"}", service);
  g_autoptr(JsonObject) ticket = test_http (h, "POST", "/api/v1/tickets", h->kiosk, body, 201);

  if (number != NULL)
    *number = g_strdup (json_object_get_string_member (ticket, "number"));
  return g_strdup (json_object_get_string_member (ticket, "token"));
}

static JsonObject *
act (TestHall   *h,
     const char *token,
     const char *window,
     const char *action,
     const char *body,
     guint       expected)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/windows/%s/%s", window, action);

  return test_http (h, "POST", path, token, body, expected);
}

static void
test_healthz (void)
{
  g_autoptr(JsonObject) result = test_http (hall, "GET", "/healthz", NULL, NULL, 200);

  g_assert_cmpstr (json_object_get_string_member (result, "status"), ==, "ok");
}

/* The role matrix: every endpoint against every kind of caller. */

typedef enum
{
  WHO_NONE,
  WHO_BAD,
  WHO_REVOKED_DEVICE,
  WHO_EXPIRED,
  WHO_LOGGED_OUT,
  WHO_KIOSK,
  WHO_BOARD,
  WHO_COUNTER,        /* signed in at w1 */
  WHO_SUPERVISOR,
  WHO_ADMIN,
  N_WHO
} Who;

static const char *who_names[] = {
  "none", "bad", "revoked-device", "expired", "logged-out", "kiosk", "board", "counter@w1",
  "supervisor", "admin",
};

enum { K = 1 << WHO_KIOSK, B = 1 << WHO_BOARD, C = 1 << WHO_COUNTER, S = 1 << WHO_SUPERVISOR,
       A = 1 << WHO_ADMIN, PUB = 1 << 30 };

typedef struct
{
  const char *method;
  const char *path;
  const char *body;
  guint       allowed;
} Endpoint;

static void
expire_session (const char *token)
{
  g_autoptr(OwDb) db = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sql = NULL;
  guint8 hash[32];
  char hex[65];

  /* The server keeps sessions in the database; age one there, as time would. */
  crypto_generichash (hash, sizeof hash, (const guint8 *) token, strlen (token), NULL, 0);
  sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
  db = ow_db_open (hall->db, &error);
  g_assert_no_error (error);
  sql = g_strdup_printf ("UPDATE sessions SET expires_at = 1 WHERE token_hash = x'%s'", hex);
  g_assert_true (ow_db_exec (db, sql, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_changes (ow_db_get_handle (db)), ==, 1);
}

static void
test_role_matrix (void)
{
  g_autofree char *ticket = issue_token (hall, "biz-reg", NULL);
  g_autofree char *ticket_path = g_strdup_printf ("/api/v1/tickets/%s", ticket);
  g_autofree char *rating_path = g_strdup_printf ("/api/v1/tickets/%s/rating", ticket);
  g_autofree char *page_path = g_strdup_printf ("/t/%s", ticket);
  g_autofree char *supply_path = g_strdup_printf ("/api/v1/tickets/%s/supply", ticket);
  g_autofree char *catalog = NULL;
  char *tokens[N_WHO] = { NULL };
  g_autofree char *logout_token = NULL;
  gsize catalog_len = 0;

  g_assert_true (g_file_get_contents (hall->catalog, &catalog, &catalog_len, NULL));

  tokens[WHO_BAD] = g_strdup ("ows_thisisnotatoken");
  tokens[WHO_REVOKED_DEVICE] = g_strdup (hall->revoked);
  tokens[WHO_EXPIRED] = test_login (hall, "c2", PIN_COUNTER, "w2");
  expire_session (tokens[WHO_EXPIRED]);
  tokens[WHO_LOGGED_OUT] = test_login (hall, "c3", PIN_COUNTER, "w3");
  g_clear_pointer (&logout_token, g_free);
  {
    g_autoptr(JsonObject) out = test_http (hall, "POST", "/api/v1/logout", tokens[WHO_LOGGED_OUT], NULL, 200);
  }
  tokens[WHO_KIOSK] = g_strdup (hall->kiosk);
  tokens[WHO_BOARD] = g_strdup (hall->board);
  tokens[WHO_COUNTER] = test_login (hall, "c1", PIN_COUNTER, "w1");
  tokens[WHO_SUPERVISOR] = test_login (hall, "super", PIN_SUPERVISOR, NULL);
  tokens[WHO_ADMIN] = test_login (hall, "admin", PIN_ADMIN, NULL);

  {
    /* Window actions answer something other than 401/403 when allowed: resume on a window
     * that is not paused is a 409. */
    const Endpoint endpoints[] = {
      { "GET", "/api/v1/catalog", NULL, K | B | C | S | A },
      { "PUT", "/api/v1/catalog", catalog, A },
      { "POST", "/api/v1/tickets", "{\"service\": \"edu-enrol\"}", K },
      { "GET", ticket_path, NULL, PUB },
      { "POST", rating_path, "{\"level\": 5}", PUB },
      { "GET", page_path, NULL, PUB },
      { "POST", "/api/v1/windows/w1/resume", NULL, C },
      { "POST", "/api/v1/windows/w1/call", NULL, C },
      { "POST", "/api/v1/windows/w1/recall", NULL, C },
      { "POST", "/api/v1/windows/w1/no-show", NULL, C },
      { "POST", "/api/v1/windows/w1/start", NULL, C },
      { "POST", "/api/v1/windows/w1/complete", NULL, C },
      { "POST", "/api/v1/windows/w1/return", "{\"missing\": [\"id-card\"]}", C },
      { "POST", "/api/v1/windows/w1/transfer", "{\"to_window\": \"w2\", \"reason\": \"r\"}", C },
      { "POST", "/api/v1/windows/w1/pause", "{\"reason\": \"lunch\"}", C },
      { "POST", "/api/v1/windows/w1/resume", NULL, C },
      { "POST", "/api/v1/windows/w2/call", NULL, 0 },
      { "POST", "/api/v1/windows/w2/pause", NULL, 0 },
      { "GET", "/api/v1/windows", NULL, B | C | S | A },
      { "GET", "/api/v1/windows/w1", NULL, C | S | A },
      { "GET", "/api/v1/windows/w2", NULL, S | A },
      { "GET", "/api/v1/queues", NULL, K | B | C | S | A },
      { "GET", "/api/v1/events", NULL, K | B | C | S | A },
      { "GET", "/api/v1/audit?since=0&limit=5", NULL, S | A },
      { "GET", "/api/v1/audit/verify", NULL, S | A },
      { "GET", "/api/v1/stats", NULL, S | A },
      { "GET", "/api/v1/followups", NULL, S | A },
      { "GET", "/api/v1/promises", NULL, C | S | A },
      { "POST", supply_path, "{}", C | S | A },
      { "POST", "/api/v1/followups/999999", "{\"state\": \"contacted\", \"note\": \"n\"}", C | S | A },
      { "GET", "/api/v1/staff", NULL, A },
      { "POST", "/api/v1/staff", "{}", A },
      { "GET", "/api/v1/devices", NULL, A },
      { "POST", "/api/v1/devices", "{}", A },
      { "POST", "/api/v1/devices/nobody/revoke", NULL, A },
      { "POST", "/api/v1/logout", "{}", 0 },   /* staff: tested below, it would end the session */
    };

    for (guint e = 0; e < G_N_ELEMENTS (endpoints); e++)
      for (Who who = 0; who < N_WHO; who++)
        {
          const Endpoint *ep = &endpoints[e];
          g_autoptr(JsonNode) node = NULL;
          g_autofree char *text = NULL;
          guint status = 0;
          gboolean authenticated = who >= WHO_KIOSK;

          if (g_str_equal (ep->path, "/api/v1/logout") && (who == WHO_COUNTER || who == WHO_SUPERVISOR || who == WHO_ADMIN))
            continue;
          node = test_http_raw (hall, ep->method, ep->path, tokens[who], ep->body, -1, &status, &text);
          if (ep->allowed & PUB)
            {
              if (status == 401 || status == 403)
                g_error ("%s %s as %s: public, yet %u: %s", ep->method, ep->path, who_names[who], status, text);
            }
          else if (!authenticated)
            {
              if (status != 401)
                g_error ("%s %s as %s: expected 401, got %u: %s", ep->method, ep->path, who_names[who], status, text);
            }
          else if (ep->allowed & (1u << who))
            {
              if (status == 401 || status == 403 || status >= 500)
                g_error ("%s %s as %s: allowed, yet %u: %s", ep->method, ep->path, who_names[who], status, text);
            }
          else if (status != 403)
            g_error ("%s %s as %s: expected 403, got %u: %s", ep->method, ep->path, who_names[who], status, text);

          /* Every error is {"error": {"code", "message"}}; the status page is HTML. */
          if (status >= 400 && !g_str_has_prefix (ep->path, "/t/"))
            {
              g_assert_nonnull (node);
              g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
              g_assert_nonnull (json_object_get_object_member (json_node_get_object (node), "error"));
            }
        }
  }

  /* Issuing and window actions check their token in the server's writer; a request refused
   * before it gets there still answers for its token first, as every other endpoint does:
   * 401 for no valid token, 403 for a role or window that may not, only then 400 or 404. */
  {
    const struct { const char *path; const char *body; guint allowed_status; guint allowed; } refused[] = {
      { "/api/v1/tickets", "[", 400, K },
      { "/api/v1/tickets", "{}", 400, K },
      { "/api/v1/windows/w1/pause", "[", 400, C },
      { "/api/v1/windows/w1/dance", NULL, 404, C },
      { "/api/v1/windows/w2/dance", NULL, 404, C },   /* another's window: still 404 */
      { "/api/v1/windows/w2/pause", "[", 403, 0 },
    };

    for (guint r = 0; r < G_N_ELEMENTS (refused); r++)
      for (Who who = 0; who < N_WHO; who++)
        {
          g_autoptr(JsonNode) node = NULL;
          g_autofree char *text = NULL;
          guint status = 0, expected;

          if (who < WHO_KIOSK)
            expected = 401;
          else if (refused[r].allowed & (1u << who))
            expected = refused[r].allowed_status;
          else if (g_str_has_suffix (refused[r].path, "dance") && (who == WHO_SUPERVISOR || who == WHO_ADMIN))
            expected = 404;   /* staff, and no window to check for an action that does not exist */
          else
            expected = 403;
          node = test_http_raw (hall, "POST", refused[r].path, tokens[who], refused[r].body, -1, &status, &text);
          if (status != expected)
            g_error ("POST %s %s as %s: expected %u, got %u: %s", refused[r].path,
                     refused[r].body != NULL ? refused[r].body : "", who_names[who], expected, status, text);
        }
  }

  /* Staff sign out; a signed-out token is dead, and signing out twice is a 401. */
  {
    g_autoptr(JsonObject) out = test_http (hall, "POST", "/api/v1/logout", tokens[WHO_SUPERVISOR], NULL, 200);
    g_autoptr(JsonObject) again = test_http (hall, "POST", "/api/v1/logout", tokens[WHO_SUPERVISOR], NULL, 401);
    g_autoptr(JsonObject) dead = test_http (hall, "GET", "/api/v1/stats", tokens[WHO_SUPERVISOR], NULL, 401);
    g_autoptr(JsonObject) expired = test_http (hall, "GET", "/api/v1/windows", tokens[WHO_EXPIRED], NULL, 401);

    g_assert_nonnull (strstr (json_object_get_string_member (json_object_get_object_member (expired, "error"), "message"),
                              "expired"));
  }

  /* Signing in at a window replaces whoever sat there. */
  {
    g_autofree char *first = test_login (hall, "c4", PIN_COUNTER, "w4");
    g_autofree char *second = test_login (hall, "c5", PIN_COUNTER, "w4");
    g_autoptr(JsonObject) old = act (hall, first, "w4", "call", NULL, 401);
    g_autoptr(JsonObject) now = act (hall, second, "w4", "call", NULL, 200);
  }

  /* Counter staff must say where they sit; unknown windows are refused before the PIN. */
  {
    g_autoptr(JsonObject) nowhere = test_http (hall, "POST", "/api/v1/login", NULL,
                                               "{\"staff\": \"c6\", \"pin\": \"" PIN_COUNTER "\"}", 400);
    g_autoptr(JsonObject) unknown = test_http (hall, "POST", "/api/v1/login", NULL,
                                               "{\"staff\": \"c6\", \"pin\": \"" PIN_COUNTER "\", \"window\": \"w99\"}", 404);
  }

  for (Who who = 0; who < N_WHO; who++)
    g_free (tokens[who]);
}

static void
test_lockout (void)
{
  g_autoptr(JsonObject) audit = NULL;
  g_autofree char *admin = test_login (hall, "admin", PIN_ADMIN, NULL);
  g_autofree char *body = NULL;
  JsonArray *events;
  gboolean locked_logged = FALSE;
  gboolean stranger_locked = FALSE;
  int stranger_failed = 0;

  {
    g_autoptr(JsonObject) added = test_http (hall, "POST", "/api/v1/staff", admin,
                                             "{\"id\": \"locky\", \"name\": \"L\", \"role\": \"counter\", \"pin\": \"4321\"}",
                                             201);
  }
  for (int i = 1; i <= 5; i++)
    {
      g_autoptr(JsonObject) result = test_http (hall, "POST", "/api/v1/login", NULL,
                                                "{\"staff\": \"locky\", \"pin\": \"0000\", \"window\": \"w5\"}",
                                                i < 5 ? 401 : 423);

      g_assert_cmpstr (error_code (result), ==, i < 5 ? "auth" : "locked");
    }
  /* The right PIN does not help for 15 minutes. */
  {
    g_autoptr(JsonObject) result = test_http (hall, "POST", "/api/v1/login", NULL,
                                              "{\"staff\": \"locky\", \"pin\": \"4321\", \"window\": \"w5\"}", 423);

    g_assert_cmpstr (error_code (result), ==, "locked");
  }
  /* An unknown staff ID looks exactly like a wrong PIN, locking included: the answers do not
   * tell which IDs exist. */
  for (int i = 1; i <= 6; i++)
    {
      g_autoptr(JsonObject) result = test_http (hall, "POST", "/api/v1/login", NULL,
                                                "{\"staff\": \"nobody\", \"pin\": \"4321\", \"window\": \"w5\"}",
                                                i < 5 ? 401 : 423);

      g_assert_cmpstr (error_code (result), ==, i < 5 ? "auth" : "locked");
    }

  audit = test_http (hall, "GET", "/api/v1/audit?since=0&limit=1000", admin, NULL, 200);
  events = json_object_get_array_member (audit, "events");
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);
      JsonObject *details = json_object_get_object_member (event, "details");
      const char *action = json_object_get_string_member (event, "action");
      const char *who = details != NULL ? json_object_get_string_member_with_default (details, "staff", "") : "";

      locked_logged |= g_strcmp0 (action, "staff_locked") == 0 && g_str_equal (who, "locky");
      stranger_locked |= g_strcmp0 (action, "staff_locked") == 0 && g_str_equal (who, "nobody");
      stranger_failed += g_strcmp0 (action, "login_failed") == 0 && g_str_equal (who, "nobody");
    }
  g_assert_true (locked_logged);
  /* Tries under an ID nobody has leave the same trace. */
  g_assert_true (stranger_locked);
  g_assert_cmpint (stranger_failed, ==, 4);
}

/* A whole visit through the API: issue, four steps at four windows, status, rating. */
static JsonObject *
call_until (TestHall   *h,
            const char *session,
            const char *window,
            const char *number)
{
  /* Calls at @window, marking others no-show, until @number comes. */
  for (int i = 0; i < 200; i++)
    {
      JsonObject *called = act (h, session, window, "call", NULL, 200);

      g_assert_false (json_object_get_null_member (called, "ticket"));
      if (g_strcmp0 (json_object_get_string_member (json_object_get_object_member (called, "ticket"), "number"),
                     number) == 0)
        return called;
      json_object_unref (called);
      json_object_unref (act (h, session, window, "no-show", NULL, 200));
    }
  g_assert_not_reached ();
}

static void
finish_in_hand (TestHall   *h,
                const char *session,
                const char *window)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/windows/%s/complete", window);
  g_autoptr(JsonNode) node = NULL;
  guint status;

  node = test_http_raw (h, "POST", path, session, NULL, -1, &status, NULL);
}

static void
test_visit (void)
{
  g_autofree char *number = NULL;
  g_autofree char *token = NULL;
  g_autofree char *status_path = NULL;
  g_autofree char *rating_path = NULL;
  g_autofree char *s1 = test_login (hall, "c1", PIN_COUNTER, "w1");
  g_autofree char *s3 = test_login (hall, "c8", PIN_COUNTER, "w3");
  g_autofree char *s4 = test_login (hall, "c4", PIN_COUNTER, "w4");
  g_autofree char *s9 = test_login (hall, "c9", PIN_COUNTER, "w9");
  g_autofree char *s10 = test_login (hall, "c10", PIN_COUNTER, "w10");

  finish_in_hand (hall, s1, "w1");
  finish_in_hand (hall, s3, "w3");
  finish_in_hand (hall, s4, "w4");

  {
    g_autoptr(JsonObject) ticket = test_http (hall, "POST", "/api/v1/tickets", hall->kiosk,
                                              "{\"service\": \"biz-reg\", \"green\": true, \"green_category\": \"elderly\"}", 201);
    const char *url;

    number = g_strdup (json_object_get_string_member (ticket, "number"));
    token = g_strdup (json_object_get_string_member (ticket, "token"));
    url = json_object_get_string_member (ticket, "status_url");
    g_assert_true (g_str_has_suffix (url, token));
    g_assert_nonnull (strstr (url, "/t/"));
    g_assert_true (json_object_has_member (ticket, "estimated_wait_s"));
    g_assert_cmpstr (json_object_get_string_member (ticket, "state"), ==, "waiting");
    g_assert_true (json_object_get_boolean_member (ticket, "green"));
    g_assert_cmpint (json_object_get_int_member (ticket, "ahead"), ==, 0);
  }
  status_path = g_strdup_printf ("/api/v1/tickets/%s", token);
  rating_path = g_strdup_printf ("/api/v1/tickets/%s/rating", token);

  /* The public status carries no personal data. */
  {
    g_autoptr(JsonObject) status = test_http (hall, "GET", status_path, NULL, NULL, 200);

    g_assert_false (json_object_has_member (status, "green_category"));
    g_assert_false (json_object_has_member (status, "history"));
    g_assert_false (json_object_get_boolean_member (status, "can_rate"));
    g_assert_true (json_object_get_null_member (status, "rating"));
  }

  /* Too early to rate. */
  {
    g_autoptr(JsonObject) early = test_http (hall, "POST", rating_path, NULL, "{\"level\": 5}", 409);

    g_assert_cmpstr (error_code (early), ==, "wrong_state");
  }

  /* Green channel first: w1 (pre-review) calls our ticket at once. */
  {
    g_autoptr(JsonObject) called = act (hall, s1, "w1", "call", NULL, 200);
    g_autoptr(JsonObject) recall = act (hall, s1, "w1", "recall", NULL, 200);
    g_autoptr(JsonObject) start = act (hall, s1, "w1", "start", NULL, 200);
    g_autoptr(JsonObject) busy = act (hall, s1, "w1", "call", NULL, 409);
    g_autoptr(JsonObject) bad_return = act (hall, s1, "w1", "return", "{\"missing\": [\"no-such-doc\"]}", 404);
    g_autoptr(JsonObject) done = act (hall, s1, "w1", "complete", NULL, 200);

    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (called, "ticket"), "number"), ==, number);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (called, "window"), "id"), ==, "w1");
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (recall, "ticket"), "recalls"), ==, 1);
    g_assert_cmpstr (error_code (busy), ==, "window_busy");
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (done, "ticket"), "step"), ==,
                     "biz-reg/accept");
  }

  /* Acceptance at w3: returned for missing documents, re-entry by the CLI. */
  {
    g_autoptr(JsonObject) called = call_until (hall, s3, "w3", number);
    g_autoptr(JsonObject) returned = act (hall, s3, "w3", "return", "{\"missing\": [\"premises-proof\", \"id-card\"]}", 200);
    g_autoptr(JsonObject) status = test_http (hall, "GET", status_path, NULL, NULL, 200);
    g_autofree char *page = NULL;
    g_autofree char *page_path = g_strdup_printf ("/t/%s", token);
    g_autoptr(JsonNode) node = NULL;
    guint st;

    g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "returned");
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (status, "missing_documents")), ==, 2);
    node = test_http_raw (hall, "GET", page_path, NULL, NULL, -1, &st, &page);
    g_assert_cmpuint (st, ==, 200);
    g_assert_nonnull (strstr (page, "经营场所证明"));
    g_free (test_cli (hall, NULL, "ticket", "reenter", token, NULL));
  }

  /* A transfer needs a reason; then w4 has it. */
  {
    g_autoptr(JsonObject) called = call_until (hall, s3, "w3", number);
    g_autoptr(JsonObject) no_reason = act (hall, s3, "w3", "transfer", "{\"to_window\": \"w4\"}", 400);
    g_autoptr(JsonObject) moved = act (hall, s3, "w3", "transfer",
                                       "{\"to_window\": \"w4\", \"reason\": \"w4 handles this district\"}", 200);
    g_autoptr(JsonObject) at_w4 = call_until (hall, s4, "w4", number);
    g_autoptr(JsonObject) done = act (hall, s4, "w4", "complete", NULL, 200);
  }
  {
    g_autoptr(JsonObject) c9 = call_until (hall, s9, "w9", number);
    g_autoptr(JsonObject) d9 = act (hall, s9, "w9", "complete", NULL, 200);
    g_autoptr(JsonObject) c10 = call_until (hall, s10, "w10", number);
    g_autoptr(JsonObject) d10 = act (hall, s10, "w10", "complete", NULL, 200);
  }

  /* Pause and resume. */
  {
    g_autoptr(JsonObject) paused = act (hall, s10, "w10", "pause", "{\"reason\": \"午休\"}", 200);
    g_autoptr(JsonObject) refused = act (hall, s10, "w10", "call", NULL, 409);
    g_autoptr(JsonObject) resumed = act (hall, s10, "w10", "resume", NULL, 200);

    g_assert_true (json_object_get_boolean_member (json_object_get_object_member (paused, "window"), "paused"));
    g_assert_cmpstr (error_code (refused), ==, "paused");
  }

  /* Done: rate once, with the level range enforced. */
  {
    g_autoptr(JsonObject) status = test_http (hall, "GET", status_path, NULL, NULL, 200);
    g_autoptr(JsonObject) zero = test_http (hall, "POST", rating_path, NULL, "{\"level\": 0}", 400);
    g_autoptr(JsonObject) six = test_http (hall, "POST", rating_path, NULL, "{\"level\": 6}", 400);
    g_autoptr(JsonObject) text = test_http (hall, "POST", rating_path, NULL, "{\"level\": \"5\"}", 400);
    g_autoptr(JsonObject) rated = test_http (hall, "POST", rating_path, NULL,
                                             "{\"level\": 4, \"comment\": \"办事很快\"}", 201);
    g_autoptr(JsonObject) again = test_http (hall, "POST", rating_path, NULL, "{\"level\": 1}", 409);
    g_autoptr(JsonObject) after = test_http (hall, "GET", status_path, NULL, NULL, 200);

    g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "completed");
    g_assert_true (json_object_get_boolean_member (status, "can_rate"));
    g_assert_cmpint (json_object_get_int_member (rated, "level"), ==, 4);
    g_assert_cmpstr (error_code (again), ==, "exists");
    g_assert_false (json_object_get_boolean_member (after, "can_rate"));
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (after, "rating"), "level"), ==, 4);
  }

  /* Supervisors see it in the statistics, owned by the window that finished the case; the
   * comment stays out of the append-only log. */
  {
    g_autofree char *sup = test_login (hall, "super", PIN_SUPERVISOR, NULL);
    g_autoptr(JsonObject) stats = test_http (hall, "GET", "/api/v1/stats", sup, NULL, 200);
    g_autoptr(JsonObject) bad_day = test_http (hall, "GET", "/api/v1/stats?from=2026-13-40", sup, NULL, 400);
    g_autoptr(JsonObject) verify = test_http (hall, "GET", "/api/v1/audit/verify", sup, NULL, 200);
    g_autoptr(JsonObject) audit = test_http (hall, "GET", "/api/v1/audit?since=0&limit=1000", sup, NULL, 200);
    g_autofree char *audit_text = NULL;
    JsonObject *ratings = json_object_get_object_member (stats, "ratings");
    JsonArray *by_window = json_object_get_array_member (ratings, "by_window");
    gboolean w10 = FALSE;
    guint st;
    g_autoptr(JsonNode) node = test_http_raw (hall, "GET", "/api/v1/audit?since=0&limit=1000", sup, NULL, -1, &st, &audit_text);

    g_assert_cmpint (json_object_get_int_member (ratings, "ratings"), >=, 1);
    for (guint i = 0; i < json_array_get_length (by_window); i++)
      w10 |= g_strcmp0 (json_object_get_string_member (json_array_get_object_element (by_window, i), "window"), "w10") == 0;
    g_assert_true (w10);
    g_assert_true (json_object_get_boolean_member (verify, "ok"));
    g_assert_null (strstr (audit_text, "办事很快"));
    g_assert_nonnull (strstr (audit_text, "\"rate\""));
  }

  /* Unknown or malformed tokens are 404s; so is a ticket number. */
  {
    g_autoptr(JsonObject) unknown = test_http (hall, "GET", "/api/v1/tickets/0123456789abcdef0123456789abcdef", NULL, NULL, 404);
    g_autoptr(JsonObject) malformed = test_http (hall, "GET", "/api/v1/tickets/zz", NULL, NULL, 404);
    g_autofree char *by_number = g_strdup_printf ("/api/v1/tickets/%s", number);
    g_autoptr(JsonObject) numbered = test_http (hall, "GET", by_number, NULL, NULL, 404);
  }
}

/* Admin endpoints: devices over the API, and the catalogue. */
/* GET /api/v1/windows/{id}/ticket: the ticket in hand with its history, for the staff at
 * that window and supervisors only. */
static void
test_window_ticket (void)
{
  g_autofree char *number = NULL;
  g_autofree char *token = issue_token (hall, "property-reg", &number);
  g_autofree char *c7 = test_login (hall, "c7", PIN_COUNTER, "w7");
  g_autofree char *c2 = test_login (hall, "c2", PIN_COUNTER, "w2");
  g_autofree char *sup = test_login (hall, "super", PIN_SUPERVISOR, NULL);
  g_autoptr(JsonObject) empty = NULL;
  g_autoptr(JsonObject) called = NULL;
  g_autoptr(JsonObject) held = NULL;
  g_autoptr(JsonObject) seen = NULL;
  g_autoptr(JsonObject) refused = NULL;
  JsonObject *ticket;
  JsonArray *history;

  finish_in_hand (hall, c7, "w7");
  empty = test_http (hall, "GET", "/api/v1/windows/w7/ticket", c7, NULL, 200);
  g_assert_true (json_object_get_null_member (empty, "ticket"));

  called = call_until (hall, c7, "w7", number);
  held = test_http (hall, "GET", "/api/v1/windows/w7/ticket", c7, NULL, 200);
  ticket = json_object_get_object_member (held, "ticket");
  g_assert_cmpstr (json_object_get_string_member (ticket, "number"), ==, number);
  g_assert_cmpstr (json_object_get_string_member (ticket, "token"), ==, token);
  g_assert_cmpstr (json_object_get_string_member (ticket, "state"), ==, "called");
  history = json_object_get_array_member (ticket, "history");
  g_assert_cmpuint (json_array_get_length (history), >=, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (history, 0), "action"), ==, "issue");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (history,
                                                   json_array_get_length (history) - 1), "action"), ==, "call");

  seen = test_http (hall, "GET", "/api/v1/windows/w7/ticket", sup, NULL, 200);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (seen, "ticket"), "number"), ==, number);
  refused = test_http (hall, "GET", "/api/v1/windows/w7/ticket", c2, NULL, 403);
  g_clear_pointer (&refused, json_object_unref);
  refused = test_http (hall, "GET", "/api/v1/windows/w7/ticket", hall->board, NULL, 403);
  g_clear_pointer (&refused, json_object_unref);
  refused = test_http (hall, "GET", "/api/v1/windows/w7/ticket", NULL, NULL, 401);
  g_clear_pointer (&refused, json_object_unref);
  refused = test_http (hall, "GET", "/api/v1/windows/nope/ticket", sup, NULL, 404);
  finish_in_hand (hall, c7, "w7");
}

static void
test_admin (void)
{
  g_autofree char *admin = test_login (hall, "admin", PIN_ADMIN, NULL);
  g_autoptr(JsonObject) added = test_http (hall, "POST", "/api/v1/devices", admin,
                                           "{\"name\": \"board-api\", \"role\": \"board\"}", 201);
  const char *token = json_object_get_string_member (added, "token");
  g_autoptr(JsonObject) queues = test_http (hall, "GET", "/api/v1/queues", token, NULL, 200);
  g_autoptr(JsonObject) twice = test_http (hall, "POST", "/api/v1/devices", admin,
                                           "{\"name\": \"board-api\", \"role\": \"board\"}", 409);
  g_autoptr(JsonObject) bad_role = test_http (hall, "POST", "/api/v1/devices", admin,
                                              "{\"name\": \"x\", \"role\": \"printer\"}", 400);
  g_autoptr(JsonObject) revoked = test_http (hall, "POST", "/api/v1/devices/board-api/revoke", admin, NULL, 200);
  g_autoptr(JsonObject) dead = test_http (hall, "GET", "/api/v1/queues", token, NULL, 401);
  g_autoptr(JsonObject) list = test_http (hall, "GET", "/api/v1/devices", admin, NULL, 200);
  g_autoptr(JsonObject) staff = test_http (hall, "GET", "/api/v1/staff", admin, NULL, 200);
  g_autoptr(JsonObject) catalog = test_http (hall, "GET", "/api/v1/catalog", hall->kiosk, NULL, 200);
  g_autoptr(JsonObject) bad_catalog = test_http (hall, "PUT", "/api/v1/catalog", admin, "{\"services\": 1}", 400);
  g_autoptr(JsonObject) windows = test_http (hall, "GET", "/api/v1/windows", hall->board, NULL, 200);

  g_assert_true (g_str_has_prefix (token, "owd_"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list, "devices")), >=, 4);
  g_assert_cmpstr (error_code (bad_catalog), ==, "invalid_catalog");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (catalog, "services")), ==, 15);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (windows, "windows")), ==, 10 + EXTRA_WINDOWS);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (staff, "staff")), >=, 3);
}

/* Bad input of every kind: always a 4xx with an error object, never a crash. */
static void
expect_4xx (const char  *method,
            const char  *path,
            const char  *token,
            const char  *body,
            gssize       length)
{
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;
  guint status = 0;

  node = test_http_raw (hall, method, path, token, body, length, &status, &text);
  if (status < 400 || status >= 500)
    g_error ("%s %s with a bad body: expected 4xx, got %u: %s", method, path, status, text);
  g_assert_nonnull (node);
  g_assert_nonnull (json_object_get_object_member (json_node_get_object (node), "error"));
}

static void
test_bad_input (void)
{
  g_autofree char *counter = test_login (hall, "c6", PIN_COUNTER, "w6");
  g_autofree char *ticket = issue_token (hall, "dibao", NULL);
  g_autofree char *rating_path = g_strdup_printf ("/api/v1/tickets/%s/rating", ticket);
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240601);
  const char *wrong[] = {
    "", "null", "[]", "42", "\"service\"", "{", "{\"service\": }", "{\"service\": 1}",
    "{\"service\": null}", "{\"service\": [\"biz-reg\"]}", "{\"service\": {\"a\": 1}}",
    "{\"service\": \"biz-reg\", \"green\": \"yes\"}", "{\"service\": \"no-such-service\"}",
    "{\"service\": \"stats-report\", \"green\": true}", "{\"service\": \"\"}",
    "{\"service\": 1e999}", "{\"service\": 123456789012345678901234567890}",
    "{\"service\": \"biz-reg\", \"green_category\": \"" "0123456789012345678901234567890123456789" "\"}",
  };
  const char *levels[] = {
    "{\"level\": 1e400}", "{\"level\": 99999999999999999999999}", "{\"level\": -9223372036854775808}",
    "{\"level\": 4.5}", "{\"level\": true}", "{\"level\": null}", "{}", "{\"level\": 3, \"comment\": 7}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (wrong); i++)
    expect_4xx ("POST", "/api/v1/tickets", hall->kiosk, wrong[i], -1);
  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    expect_4xx ("POST", rating_path, NULL, levels[i], -1);

  /* Invalid UTF-8, inside strings and out. */
  expect_4xx ("POST", "/api/v1/tickets", hall->kiosk, "{\"service\": \"biz\xff\xfe\"}", -1);
  expect_4xx ("POST", "/api/v1/login", NULL, "{\"staff\": \"\xc0\xaf\", \"pin\": \"1\"}", -1);
  expect_4xx ("POST", "/api/v1/tickets", hall->kiosk, "{\"service\": \"a\0b\"}", 17);

  /* Deep nesting, within and beyond the size limit. */
  {
    g_autoptr(GString) deep = g_string_new (NULL);

    for (int i = 0; i < 60000; i++)
      g_string_append_c (deep, '[');
    expect_4xx ("POST", "/api/v1/tickets", hall->kiosk, deep->str, deep->len);
    g_string_truncate (deep, 0);
    for (int i = 0; i < 20000; i++)
      g_string_append (deep, "{\"a\":");
    expect_4xx ("POST", "/api/v1/windows/w6/pause", counter, deep->str, deep->len);
  }

  /* Over 64 KiB. */
  {
    g_autoptr(GString) big = g_string_new ("{\"service\": \"");

    while (big->len < 70 * 1024)
      g_string_append (big, "xxxxxxxxxxxxxxxx");
    g_string_append (big, "\"}");
    expect_4xx ("POST", "/api/v1/tickets", hall->kiosk, big->str, big->len);
    expect_4xx ("POST", "/api/v1/login", NULL, big->str, big->len);
  }

  /* Wrong types at the windows. */
  expect_4xx ("POST", "/api/v1/windows/w6/return", counter, "{\"missing\": \"id-card\"}", -1);
  expect_4xx ("POST", "/api/v1/windows/w6/return", counter, "{\"missing\": [1, 2]}", -1);
  expect_4xx ("POST", "/api/v1/windows/w6/return", counter, "{\"missing\": []}", -1);
  {
    g_autoptr(JsonObject) absent = test_http (hall, "POST", "/api/v1/windows/w6/return", counter, "{}", 400);

    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (absent, "error"), "message"),
                     ==, "'missing' is missing");
  }
  expect_4xx ("POST", "/api/v1/windows/w6/pause", counter, "{\"reason\": false}", -1);
  expect_4xx ("POST", "/api/v1/windows/w6/transfer", counter, "{\"to_step\": 5, \"reason\": \"x\"}", -1);
  expect_4xx ("POST", "/api/v1/windows/w6/dance", counter, NULL, -1);
  /* No such action is a 404 whatever the method; a real one asked with GET is a 405. */
  {
    g_autoptr(JsonObject) missing = test_http (hall, "GET", "/api/v1/windows/w6/history", counter, NULL, 404);
    g_autoptr(JsonObject) method = test_http (hall, "GET", "/api/v1/windows/w6/call", counter, NULL, 405);
  }

  /* Unknown paths, methods, queries and encodings. */
  expect_4xx ("GET", "/nothing/here", NULL, NULL, -1);
  expect_4xx ("GET", "/api/v2/catalog", NULL, NULL, -1);
  expect_4xx ("DELETE", "/api/v1/tickets", hall->kiosk, NULL, -1);
  expect_4xx ("GET", "/api/v1/tickets", hall->kiosk, NULL, -1);
  expect_4xx ("GET", "/api/v1/%ff%fe", NULL, NULL, -1);
  expect_4xx ("GET", "/api/v1/audit?since=-1", NULL, NULL, -1);
  {
    g_autofree char *sup = test_login (hall, "super", PIN_SUPERVISOR, NULL);

    expect_4xx ("GET", "/api/v1/audit?since=abc", sup, NULL, -1);
    expect_4xx ("GET", "/api/v1/audit?limit=99999999999999999999999", sup, NULL, -1);
    expect_4xx ("GET", "/api/v1/audit?since=%ff", sup, NULL, -1);
    expect_4xx ("GET", "/api/v1/stats?from=yesterday", sup, NULL, -1);
    expect_4xx ("GET", "/api/v1/stats?from=2026-12-01&to=2026-11-01", sup, NULL, -1);
    expect_4xx ("GET", "/api/v1/followups?from=2026-12-01&to=2026-11-01", sup, NULL, -1);
    expect_4xx ("GET", "/api/v1/events?since=999999999999", sup, NULL, -1);
  }
  expect_4xx ("GET", "/api/v1/queues", "\xff\xfe", NULL, -1);

  /* Random bytes to every writing endpoint. */
  for (guint i = 0; i < 300; i++)
    {
      const char *targets[] = { "/api/v1/tickets", "/api/v1/login", "/api/v1/windows/w6/return",
                                "/api/v1/windows/w6/transfer", rating_path };
      const char *tokens[] = { hall->kiosk, NULL, counter, counter, NULL };
      guint target = g_rand_int_range (rand, 0, G_N_ELEMENTS (targets));
      gsize len = g_rand_int_range (rand, 1, 2048);
      g_autofree char *junk = g_malloc (len);
      g_autoptr(JsonNode) node = NULL;
      guint status = 0;

      for (gsize j = 0; j < len; j++)
        junk[j] = (char) g_rand_int_range (rand, 0, 256);
      if (i % 3 == 0)
        junk[0] = '{';
      node = test_http_raw (hall, "POST", targets[target], tokens[target], junk, len, &status, NULL);
      if (status < 400 || status >= 500)
        g_error ("random body to %s: got %u", targets[target], status);
    }

  /* A chunked body, which we refuse without reading. */
  {
    g_autofree char *url = g_strconcat (hall->url, "/api/v1/tickets", NULL);
    g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
    g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_data ("{\"service\": \"biz-reg\"}", -1, NULL);
    g_autofree char *header = g_strconcat ("Bearer ", hall->kiosk, NULL);
    g_autoptr(GBytes) out = NULL;

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", header);
    soup_message_set_request_body (msg, "application/json", stream, -1);
    out = soup_session_send_and_read (hall->session, msg, NULL, NULL);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 411);
  }

  /* Still alive and well. */
  {
    g_autoptr(JsonObject) health = test_http (hall, "GET", "/healthz", NULL, NULL, 200);
    g_autoptr(JsonObject) result = act (hall, counter, "w6", "call", NULL, 200);
  }
}

/* Posts the rating form @form to @url as a browser asking for @lang would, and returns the
 * page, checking @status. */
static char *
post_form (const char *url,
           const char *form,
           const char *lang,
           guint       status)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) body = g_bytes_new (form, strlen (form));
  g_autoptr(GBytes) page = NULL;

  soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", body);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept-Language", lang);
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  page = soup_session_send_and_read (hall->session, msg, NULL, NULL);
  g_assert_nonnull (page);
  g_assert_cmpuint (soup_message_get_status (msg), ==, status);
  return g_strndup (g_bytes_get_data (page, NULL), g_bytes_get_size (page));
}

/* The status page, in both languages. */
static char *
get_page (const char *path,
          const char *accept_language,
          guint       expected)
{
  g_autofree char *url = g_strconcat (hall->url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  char *text;

  if (accept_language != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept-Language", accept_language);
  body = soup_session_send_and_read (hall->session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, expected);
  g_assert_true (g_str_has_prefix (soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL),
                                   "text/html"));
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_assert_true (g_utf8_validate (text, -1, NULL));
  /* Small and self-contained. */
  g_assert_null (strstr (text, "<script"));
  g_assert_null (strstr (text, "src="));
  g_assert_null (strstr (text, "<link"));
  g_assert_cmpuint (strlen (text), <, 16 * 1024);
  return text;
}

static void
test_status_page (void)
{
  g_autofree char *number = NULL;
  g_autofree char *first = issue_token (hall, "property-reg", NULL);
  g_autofree char *token = issue_token (hall, "property-reg", &number);
  g_autofree char *path = g_strdup_printf ("/t/%s", token);
  g_autofree char *zh = get_page (path, "zh-CN,zh;q=0.9,en;q=0.8", 200);
  g_autofree char *en = get_page (path, "en-GB,en;q=0.9", 200);
  g_autofree char *fallback = get_page (path, NULL, 200);
  g_autofree char *preferred = get_page (path, "zh;q=0.3, en;q=0.7", 200);
  g_autofree char *missing_zh = get_page ("/t/0123456789abcdef0123456789abcdef", "zh-CN", 404);
  g_autofree char *missing_en = get_page ("/t/nonsense", "en", 404);

  g_assert_nonnull (strstr (zh, number));
  g_assert_nonnull (strstr (zh, "lang=\"zh-CN\""));
  g_assert_nonnull (strstr (zh, "不动产转移登记"));
  g_assert_nonnull (strstr (zh, "前方等待"));
  g_assert_nonnull (strstr (zh, "http-equiv=\"refresh\""));
  /* Chinese sentences follow one another without a space. */
  g_assert_nonnull (strstr (zh, "。本页会自动刷新。</footer>"));
  g_assert_nonnull (strstr (en, ". This page refreshes itself.</footer>"));
  g_assert_nonnull (strstr (en, number));
  g_assert_nonnull (strstr (en, "lang=\"en\""));
  g_assert_nonnull (strstr (en, "People ahead of you: 1"));
  g_assert_nonnull (strstr (en, "Estimated wait"));
  g_assert_null (strstr (en, "前方等待"));
  g_assert_nonnull (strstr (fallback, "lang=\"zh-CN\""));
  g_assert_nonnull (strstr (preferred, "lang=\"en\""));
  g_assert_nonnull (strstr (missing_zh, "lang=\"zh-CN\""));
  g_assert_nonnull (strstr (missing_en, "No such ticket"));

  /* Called: the window is shown.  Done: the rating form, which posts without scripts. */
  {
    g_autofree char *s = test_login (hall, "c7", PIN_COUNTER, "w7");
    g_autofree char *called_page = NULL;
    g_autofree char *done_page = NULL;
    g_autofree char *rated_page = NULL;
    g_autofree char *form_url = g_strdup_printf ("%s/t/%s/rating", hall->url, token);
    g_autofree char *rated = NULL;

    {
      g_autoptr(JsonObject) c = call_until (hall, s, "w7", number);
    }
    called_page = get_page (path, "en", 200);
    g_assert_nonnull (strstr (called_page, "Please go to window 7"));
    {
      g_autoptr(JsonObject) done = act (hall, s, "w7", "complete", NULL, 200);
      g_autofree char *s9 = test_login (hall, "c9", PIN_COUNTER, "w9");
      g_autofree char *s10 = test_login (hall, "c10", PIN_COUNTER, "w10");
      g_autoptr(JsonObject) c9 = call_until (hall, s9, "w9", number);
      g_autoptr(JsonObject) d9 = act (hall, s9, "w9", "complete", NULL, 200);
      g_autoptr(JsonObject) c10 = call_until (hall, s10, "w10", number);
      g_autoptr(JsonObject) d10 = act (hall, s10, "w10", "complete", NULL, 200);
    }
    g_free (test_cli (hall, NULL, "ticket", "cancel", first, "--reason", "test", NULL));
    done_page = get_page (path, "zh-CN", 200);
    g_assert_nonnull (strstr (done_page, "<form method=\"post\""));
    g_assert_nonnull (strstr (done_page, "非常满意"));
    g_assert_nonnull (strstr (done_page, "非常不满意"));
    g_assert_null (strstr (done_page, "checked"));
    g_assert_null (strstr (done_page, "http-equiv=\"refresh\""));

    rated = post_form (form_url, "level=5&comment=%E5%BE%88%E5%A5%BD", "zh-CN", 303);
    rated_page = get_page (path, "zh-CN", 200);
    g_assert_nonnull (strstr (rated_page, "非常满意"));
    g_assert_null (strstr (rated_page, "<form"));

    /* A form the server refuses says why, in the phone's language, and leads back. */
    {
      g_autofree char *waiting = issue_token (hall, "property-reg", NULL);
      g_autofree char *waiting_url = g_strdup_printf ("%s/t/%s/rating", hall->url, waiting);
      g_autofree char *again = post_form (form_url, "level=4", "zh-CN", 409);
      g_autofree char *early = post_form (waiting_url, "level=4", "en", 409);
      g_autofree char *back = g_strdup_printf ("<a href=\"%s\">", path);

      g_assert_nonnull (strstr (again, "评价未记录"));
      g_assert_nonnull (strstr (again, "这张号票已经评价过"));
      g_assert_nonnull (strstr (again, back));
      g_assert_nonnull (strstr (early, "Rating not recorded"));
      g_assert_nonnull (strstr (early, "once its service is finished"));
      g_assert_nonnull (strstr (early, "lang=\"en\""));
    }
  }
}

/* The message of the error an issuing request with @body gets, with @status. */
static const char *
issue_error_message (const char *body,
                     guint       status)
{
  g_autoptr(JsonObject) refused = test_http (hall, "POST", "/api/v1/tickets", hall->kiosk, body, status);

  return g_intern_string (json_object_get_string_member (json_object_get_object_member (refused, "error"),
                                                         "message"));
}

/* A hall whose server speaks Chinese: the API's messages, the engine's and the server's own,
 * are Chinese, and stay so after a citizen's phone asked for the page in English (pages
 * switch the process's language only while they are rendered). */
static void
test_server_language (void)
{
  g_autofree char *token = NULL;
  g_autofree char *path = NULL;
  g_autofree char *en = NULL;

  test_hall_stop_server (hall, SIGTERM);
  hall->language = "zh_CN";
  test_hall_start_server (hall);

  token = issue_token (hall, "property-reg", NULL);
  path = g_strdup_printf ("/t/%s", token);
  g_assert_cmpstr (issue_error_message ("{\"service\": \"nope\"}", 404), ==, "没有事项“nope”");
  g_assert_cmpstr (issue_error_message ("{}", 400), ==, "缺少“service”");
  en = get_page (path, "en", 200);
  g_assert_nonnull (strstr (en, "lang=\"en\""));
  g_assert_cmpstr (issue_error_message ("{\"service\": \"nope\"}", 404), ==, "没有事项“nope”");
  g_assert_cmpstr (issue_error_message ("{}", 400), ==, "缺少“service”");

  test_hall_stop_server (hall, SIGTERM);
  hall->language = NULL;
  test_hall_start_server (hall);
  g_assert_cmpstr (issue_error_message ("{\"service\": \"nope\"}", 404), ==, "no service 'nope'");
  g_assert_cmpstr (issue_error_message ("{}", 400), ==, "'service' is missing");
}

/* The event stream */

typedef struct
{
  SoupWebsocketConnection *conn;
  GPtrArray               *events;   /* JsonObject */
  GError                  *error;
  gboolean                 done;
} Stream;

static void
stream_message_cb (SoupWebsocketConnection *conn,
                   int                      type,
                   GBytes                  *message,
                   Stream                  *stream)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  json_parser_load_from_data (parser, g_bytes_get_data (message, NULL), g_bytes_get_size (message), &error);
  g_assert_no_error (error);
  g_ptr_array_add (stream->events, json_object_ref (json_node_get_object (json_parser_get_root (parser))));
}

static void
stream_connected_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      data)
{
  Stream *stream = data;

  stream->conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &stream->error);
  stream->done = TRUE;
  if (stream->conn != NULL)
    g_signal_connect (stream->conn, "message", G_CALLBACK (stream_message_cb), stream);
}

static Stream *
stream_open (const char *token,
             gint64      since,
             guint      *status)
{
  g_autofree char *url = since >= 0
    ? g_strdup_printf ("%s/api/v1/events?since=%" G_GINT64_FORMAT, hall->url, since)
    : g_strdup_printf ("%s/api/v1/events", hall->url);
  g_autoptr(SoupMessage) msg = NULL;
  Stream *stream = g_new0 (Stream, 1);

  url[0] = 'w';
  url[1] = 's';
  memmove (url + 2, url + 4, strlen (url + 4) + 1);
  msg = soup_message_new ("GET", url);
  if (token != NULL)
    {
      g_autofree char *header = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", header);
    }
  stream->events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  soup_session_websocket_connect_async (hall->session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        stream_connected_cb, stream);
  while (!stream->done)
    g_main_context_iteration (NULL, TRUE);
  if (status != NULL)
    *status = soup_message_get_status (msg);
  return stream;
}

static void
stream_close (Stream *stream)
{
  if (stream->conn != NULL)
    {
      g_signal_handlers_disconnect_by_data (stream->conn, stream);
      if (soup_websocket_connection_get_state (stream->conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (stream->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_clear_object (&stream->conn);
    }
  g_ptr_array_unref (stream->events);
  g_clear_error (&stream->error);
  g_free (stream);
}

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
stream_wait (Stream *stream,
             guint   count)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (20, timeout_cb, &timed_out);

  while (stream->events->len < count && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  g_assert_cmpuint (stream->events->len, >=, count);
}

static gint64
head_seq (void)
{
  g_autofree char *sup = test_login (hall, "super", PIN_SUPERVISOR, NULL);
  g_autoptr(JsonObject) audit = test_http (hall, "GET", "/api/v1/audit?limit=0", sup, NULL, 200);

  return json_object_get_int_member (audit, "head_seq");
}

static void
test_events_resume (void)
{
  Stream *board, *super, *again, *denied;
  g_autofree char *super_token = test_login (hall, "super", PIN_SUPERVISOR, NULL);
  gint64 start, last;
  guint status = 0;

  start = head_seq ();
  board = stream_open (hall->board, start, NULL);
  super = stream_open (super_token, start, NULL);
  g_assert_no_error (board->error);
  g_assert_no_error (super->error);

  for (int i = 0; i < 5; i++)
    g_free (issue_token (hall, "pension-enrol", NULL));
  stream_wait (board, 5);
  stream_wait (super, 5);

  /* Screens see the event, not the people: no terminal, no staff ID, no hash. */
  {
    JsonObject *seen = g_ptr_array_index (board->events, 0);
    JsonObject *full = g_ptr_array_index (super->events, 0);

    g_assert_cmpint (json_object_get_int_member (seen, "seq"), ==, start + 1);
    g_assert_cmpstr (json_object_get_string_member (seen, "action"), ==, "issue");
    g_assert_cmpstr (json_object_get_string_member (seen, "actor"), ==, "device");
    g_assert_false (json_object_has_member (seen, "terminal"));
    g_assert_false (json_object_has_member (seen, "hash"));
    g_assert_cmpstr (json_object_get_string_member (full, "actor"), ==, "device:kiosk-1");
    g_assert_true (json_object_has_member (full, "terminal"));
    g_assert_true (json_object_has_member (full, "hash"));
  }

  /* Drop the board's connection, let the hall move on, reconnect from the last seq. */
  last = json_object_get_int_member (g_ptr_array_index (board->events, board->events->len - 1), "seq");
  stream_close (board);
  for (int i = 0; i < 7; i++)
    g_free (issue_token (hall, "pension-enrol", NULL));
  g_free (test_cli (hall, NULL, "device", "add", "from-the-cli", "--role", "board", NULL));
  stream_wait (super, 13);

  again = stream_open (hall->board, last, NULL);
  g_assert_no_error (again->error);
  for (int i = 0; i < 3; i++)
    g_free (issue_token (hall, "pension-enrol", NULL));
  stream_wait (again, 7 + 1 + 3 + (guint) (start + 5 - last));
  stream_wait (super, 16);

  /* Consecutive, nothing missed, nothing twice, across the reconnection; the CLI's event is
   * there too. */
  {
    gint64 expected = last + 1;
    gboolean saw_cli = FALSE;

    for (guint i = 0; i < again->events->len; i++)
      {
        JsonObject *event = g_ptr_array_index (again->events, i);

        g_assert_cmpint (json_object_get_int_member (event, "seq"), ==, expected);
        saw_cli |= g_strcmp0 (json_object_get_string_member (event, "action"), "device_add") == 0;
        expected++;
      }
    g_assert_true (saw_cli);
    for (guint i = 0; i < super->events->len; i++)
      g_assert_cmpint (json_object_get_int_member (g_ptr_array_index (super->events, i), "seq"), ==, start + 1 + i);
  }

  /* No token, a bad one, a revoked device: refused before the upgrade. */
  denied = stream_open (NULL, -1, &status);
  g_assert_nonnull (denied->error);
  g_assert_cmpuint (status, ==, 401);
  stream_close (denied);
  denied = stream_open (hall->revoked, -1, &status);
  g_assert_cmpuint (status, ==, 401);
  stream_close (denied);

  /* Without since, the stream starts at the newest event. */
  {
    gint64 head = head_seq ();
    Stream *live = stream_open (hall->kiosk, -1, NULL);

    g_free (issue_token (hall, "pension-enrol", NULL));
    stream_wait (live, 1);
    g_assert_cmpint (json_object_get_int_member (g_ptr_array_index (live->events, 0), "seq"), ==, head + 1);
    stream_close (live);
  }

  stream_close (again);
  stream_close (super);
}

/* Requests and event streams spread over the server's HTTP threads (the harness starts
 * three): every stream sees every event, in order, whichever thread took the request. */
static void
test_events_across_threads (void)
{
  enum { N_STREAMS = 6, N_CLIENTS = 6, ROUNDS = 4 };
  Stream *streams[N_STREAMS];
  SoupSession *clients[N_CLIENTS];
  SoupSession *shared = hall->session;
  gint64 start = head_seq ();

  for (guint i = 0; i < N_STREAMS; i++)
    {
      streams[i] = stream_open (hall->board, start, NULL);
      g_assert_no_error (streams[i]->error);
    }
  /* Each client its own connection, as each kiosk is its own machine. */
  for (guint i = 0; i < N_CLIENTS; i++)
    clients[i] = soup_session_new_with_options ("timeout", 30, NULL);
  for (guint r = 0; r < ROUNDS; r++)
    for (guint i = 0; i < N_CLIENTS; i++)
      {
        hall->session = clients[i];
        g_free (issue_token (hall, "pension-enrol", NULL));
      }
  hall->session = shared;

  for (guint i = 0; i < N_STREAMS; i++)
    {
      stream_wait (streams[i], N_CLIENTS * ROUNDS);
      g_assert_cmpuint (streams[i]->events->len, ==, N_CLIENTS * ROUNDS);
      for (guint j = 0; j < streams[i]->events->len; j++)
        {
          JsonObject *event = g_ptr_array_index (streams[i]->events, j);

          g_assert_cmpint (json_object_get_int_member (event, "seq"), ==, start + 1 + j);
          g_assert_cmpstr (json_object_get_string_member (event, "action"), ==, "issue");
        }
      stream_close (streams[i]);
    }
  for (guint i = 0; i < N_CLIENTS; i++)
    g_object_unref (clients[i]);
}

/* The event stream's framing, seen from a client that speaks RFC 6455 by hand: what libsoup's
 * client would hide (pings, close codes) or never send (unmasked and oversized frames). */

typedef struct
{
  GSocket           *socket;
  GSocketConnection *conn;
  GInputStream      *in;
  GOutputStream     *out;
} RawStream;

/* With @receive_buffer > 0 the client's window is that small, so the server's writes block
 * soon. */
static RawStream *
raw_stream_open (const char *token,
                 gint64      since,
                 int         receive_buffer)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = g_uri_parse (hall->url, G_URI_FLAGS_NONE, &error);
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GString) answer = g_string_new (NULL);
  g_autofree char *request = NULL;
  RawStream *stream = g_new0 (RawStream, 1);

  g_assert_no_error (error);
  stream->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 &error);
  g_assert_no_error (error);
  /* Small segments as well: on loopback the server's send buffer grows with the segment size,
   * to megabytes at the usual 64 KiB. */
  if (receive_buffer > 0)
    {
      g_assert_true (g_socket_set_option (stream->socket, SOL_SOCKET, SO_RCVBUF, receive_buffer, NULL));
      g_assert_true (g_socket_set_option (stream->socket, IPPROTO_TCP, TCP_MAXSEG, 536, NULL));
    }
  g_socket_set_timeout (stream->socket, 20);
  address = g_inet_socket_address_new_from_string (g_uri_get_host (uri),
                                                   (guint) g_uri_get_port (uri));
  g_socket_connect (stream->socket, address, NULL, &error);
  g_assert_no_error (error);
  stream->conn = g_socket_connection_factory_create_connection (stream->socket);
  stream->in = g_io_stream_get_input_stream (G_IO_STREAM (stream->conn));
  stream->out = g_io_stream_get_output_stream (G_IO_STREAM (stream->conn));

  request = g_strdup_printf ("GET /api/v1/events?since=%" G_GINT64_FORMAT " HTTP/1.1\r\n"
                             "Host: %s:%d\r\n"
                             "Upgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\n"
                             "Sec-WebSocket-Extensions: permessage-deflate\r\n"
                             "Authorization: Bearer %s\r\n\r\n",
                             since, g_uri_get_host (uri), g_uri_get_port (uri), token);
  g_output_stream_write_all (stream->out, request, strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  /* Byte by byte, so no frame is read along with the headers. */
  while (!g_str_has_suffix (answer->str, "\r\n\r\n"))
    {
      char c;

      g_assert_cmpint (g_input_stream_read (stream->in, &c, 1, NULL, &error), ==, 1);
      g_string_append_c (answer, c);
    }
  g_assert_true (g_str_has_prefix (answer->str, "HTTP/1.1 101"));
  /* The key of RFC 6455's own example, and its answer. */
  g_assert_nonnull (strstr (answer->str, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
  /* No compression was agreed, so the frames below are plain. */
  g_assert_null (strstr (answer->str, "Extensions"));
  return stream;
}

static void
raw_stream_close (RawStream *stream)
{
  g_io_stream_close (G_IO_STREAM (stream->conn), NULL, NULL);
  g_object_unref (stream->conn);
  g_object_unref (stream->socket);
  g_free (stream);
}

static void
raw_read (RawStream *stream,
          void      *buffer,
          gsize      size)
{
  g_autoptr(GError) error = NULL;
  gsize got = 0;

  g_input_stream_read_all (stream->in, buffer, size, &got, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (got, ==, size);
}

/* The next frame from the server: its opcode, and its payload in @payload. */
static guint8
raw_read_frame (RawStream  *stream,
                GByteArray *payload)
{
  guint8 header[2], extended[8];
  guint64 length;

  raw_read (stream, header, 2);
  g_assert_cmpint (header[0] & 0x80, !=, 0);   /* FIN: the server never fragments */
  g_assert_cmpint (header[0] & 0x70, ==, 0);
  g_assert_cmpint (header[1] & 0x80, ==, 0);   /* a server's frames are not masked */
  length = header[1] & 0x7f;
  if (length >= 126)
    {
      guint n = length == 126 ? 2 : 8;

      raw_read (stream, extended, n);
      length = 0;
      for (guint i = 0; i < n; i++)
        length = (length << 8) | extended[i];
    }
  g_byte_array_set_size (payload, (guint) length);
  if (length > 0)
    raw_read (stream, payload->data, length);
  return header[0] & 0x0f;
}

/* The next frame of @opcode, passing over events and pings. */
static void
raw_expect_frame (RawStream  *stream,
                  guint8      opcode,
                  GByteArray *payload)
{
  for (guint i = 0; i < 1000; i++)
    {
      guint8 got = raw_read_frame (stream, payload);

      if (got == opcode)
        return;
      g_assert_true (got == 0x1 || got == 0x9);
    }
  g_assert_not_reached ();
}

/* A frame whose first byte (FIN, reserved bits, opcode) is @first. */
static void
raw_write_frame_first (RawStream  *stream,
                       guint8      first,
                       gboolean    masked,
                       const char *payload,
                       gsize       length)
{
  g_autoptr(GByteArray) frame = g_byte_array_new ();
  const guint8 mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
  guint8 byte = first;
  g_autoptr(GError) error = NULL;

  g_byte_array_append (frame, &byte, 1);
  byte = (masked ? 0x80 : 0) | (length < 126 ? length : 126);
  g_byte_array_append (frame, &byte, 1);
  if (length >= 126)
    {
      guint8 extended[2] = { (guint8) (length >> 8), (guint8) length };

      g_byte_array_append (frame, extended, 2);
    }
  if (masked)
    g_byte_array_append (frame, mask, 4);
  for (gsize i = 0; i < length; i++)
    {
      byte = (guint8) payload[i] ^ (masked ? mask[i % 4] : 0);
      g_byte_array_append (frame, &byte, 1);
    }
  g_output_stream_write_all (stream->out, frame->data, frame->len, NULL, NULL, &error);
  g_assert_no_error (error);
}

/* A whole frame (FIN set) of @opcode. */
static void
raw_write_frame (RawStream  *stream,
                 guint8      opcode,
                 gboolean    masked,
                 const char *payload,
                 gsize       length)
{
  raw_write_frame_first (stream, 0x80 | opcode, masked, payload, length);
}

/* The server ends the connection after a close frame carrying @code. */
static void
raw_expect_close (RawStream *stream,
                  guint16    code)
{
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  char c;

  raw_expect_frame (stream, 0x8, payload);
  g_assert_cmpuint (payload->len, >=, 2);
  g_assert_cmpuint ((payload->data[0] << 8) | payload->data[1], ==, code);
  g_assert_cmpint (g_input_stream_read (stream->in, &c, 1, NULL, NULL), ==, 0);
}

/* The server's descriptor count once the streams closed before have finished closing. */
static guint
settled_fd_count (void)
{
  guint count = test_hall_count_fds (hall);

  for (guint last = count + 1; last != count; )
    {
      g_usleep (G_USEC_PER_SEC / 2);
      last = count;
      count = test_hall_count_fds (hall);
    }
  return count;
}

/* Waits up to @seconds for the server's descriptors to come back down to @count. */
static void
wait_fd_count (guint count,
               int   seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (test_hall_count_fds (hall) > count && g_get_monotonic_time () < deadline)
    g_usleep (G_USEC_PER_SEC / 10);
  g_assert_cmpuint (test_hall_count_fds (hall), ==, count);
}

static void
test_events_protocol (void)
{
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  g_autofree char *big = g_strnfill (5000, 'x');
  RawStream *stream = raw_stream_open (hall->board, head_seq (), 0);

  /* Keep-alive is a ping, every second here (--keepalive 1). */
  raw_expect_frame (stream, 0x9, payload);

  /* A ping is answered with its own payload; the client's messages are ignored. */
  raw_write_frame (stream, 0x9, TRUE, "hi", 2);
  raw_expect_frame (stream, 0xa, payload);
  g_assert_cmpmem (payload->data, payload->len, "hi", 2);
  raw_write_frame (stream, 0x1, TRUE, "hello", 5);
  raw_write_frame (stream, 0x9, TRUE, "again", 5);
  raw_expect_frame (stream, 0xa, payload);
  g_assert_cmpmem (payload->data, payload->len, "again", 5);

  /* The events still come, framed one by one. */
  g_free (issue_token (hall, "pension-enrol", NULL));
  raw_expect_frame (stream, 0x1, payload);
  g_assert_nonnull (g_strstr_len ((char *) payload->data, payload->len, "\"action\":\"issue\""));

  /* A client's frame must be masked. */
  raw_write_frame (stream, 0x1, FALSE, "hello", 5);
  raw_expect_close (stream, 1002);
  raw_stream_close (stream);

  /* The stream reads small messages only. */
  stream = raw_stream_open (hall->board, head_seq (), 0);
  raw_write_frame (stream, 0x1, TRUE, big, strlen (big));
  raw_expect_close (stream, 1009);
  raw_stream_close (stream);

  /* A client that sends pings and never reads the pongs is let go, not queued for forever:
   * the server drops it after 8 MiB (about 66,000 pongs), and the client's writes fail. */
  stream = raw_stream_open (hall->board, head_seq (), 4096);
  {
    g_autofree char *ping = g_strnfill (125, 'p');
    g_autoptr(GError) error = NULL;
    guint sent = 0;

    for (; sent < 1000000 && error == NULL; sent++)
      {
        guint8 frame[2 + 4 + 125] = { 0x89, 0x80 | 125, 0, 0, 0, 0 };

        memcpy (frame + 6, ping, 125);
        g_output_stream_write_all (stream->out, frame, sizeof frame, NULL, NULL, &error);
      }
    g_assert_nonnull (error);
    g_assert_cmpuint (sent, >, 60000);
  }
  raw_stream_close (stream);

  /* A close is echoed, and the server hangs up. */
  stream = raw_stream_open (hall->board, head_seq (), 0);
  raw_write_frame (stream, 0x8, TRUE, "\x03\xe8" "bye", 5);
  raw_expect_close (stream, 1000);
  raw_stream_close (stream);

  /* What RFC 6455 forbids a client is answered with a close saying which rule it broke. */
  {
    const struct { guint8 first; const char *payload; gsize length; guint16 code; } broken[] = {
      { 0x88, "\x03\xed", 2, 1002 },              /* 1005 may not be sent */
      { 0x88, "\x03\xe7", 2, 1002 },              /* no such close code */
      { 0x88, "\x13\x88", 2, 1002 },              /* nor 5000 */
      { 0x88, "\x03\xe8\xff\xfe", 4, 1007 },      /* a reason that is not UTF-8 */
      { 0x81, "\xff\xfe", 2, 1007 },              /* text that is not UTF-8 */
      { 0x80, "ab", 2, 1002 },                    /* a continuation of nothing */
    };

    for (guint b = 0; b < G_N_ELEMENTS (broken); b++)
      {
        stream = raw_stream_open (hall->board, head_seq (), 0);
        raw_write_frame_first (stream, broken[b].first, TRUE, broken[b].payload, broken[b].length);
        raw_expect_close (stream, broken[b].code);
        raw_stream_close (stream);
      }
  }
  /* A new message in the middle of a fragmented one. */
  stream = raw_stream_open (hall->board, head_seq (), 0);
  raw_write_frame_first (stream, 0x01, TRUE, "ab", 2);
  raw_write_frame_first (stream, 0x81, TRUE, "cd", 2);
  raw_expect_close (stream, 1002);
  raw_stream_close (stream);
  /* Fragments in order, with a ping between them, are fine. */
  stream = raw_stream_open (hall->board, head_seq (), 0);
  raw_write_frame_first (stream, 0x01, TRUE, "ab", 2);
  raw_write_frame (stream, 0x9, TRUE, "mid", 3);
  raw_write_frame_first (stream, 0x80, TRUE, "cd", 2);
  raw_write_frame (stream, 0x9, TRUE, "end", 3);
  raw_expect_frame (stream, 0xa, payload);
  g_assert_cmpmem (payload->data, payload->len, "mid", 3);
  raw_expect_frame (stream, 0xa, payload);
  g_assert_cmpmem (payload->data, payload->len, "end", 3);
  raw_stream_close (stream);
  /* A 64-bit length with its top bit set. */
  stream = raw_stream_open (hall->board, head_seq (), 0);
  {
    const guint8 frame[] = { 0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4 };

    g_output_stream_write_all (stream->out, frame, sizeof frame, NULL, NULL, NULL);
  }
  raw_expect_close (stream, 1002);
  raw_stream_close (stream);

  /* A client that closes while it has stopped reading, with pongs backed up behind the
   * close frame, is let go a few seconds later: it does not hold a connection forever. */
  {
    gint64 since = head_seq ();   /* first: it may open an HTTP connection of its own */
    guint before = settled_fd_count ();
    g_autofree char *ping = g_strnfill (125, 'p');

    stream = raw_stream_open (hall->board, since, 4096);
    for (guint sent = 0; sent < 20000; sent++)
      raw_write_frame (stream, 0x9, TRUE, ping, 125);
    raw_write_frame (stream, 0x8, TRUE, "\x03\xe8", 2);
    g_assert_cmpuint (test_hall_count_fds (hall), >, before);
    wait_fd_count (before, 15);
    raw_stream_close (stream);
  }

  /* A client that answered a ping and then falls silent (a board whose program hangs) is let
   * go after three keep-alive intervals (a second each here) without a pong. */
  {
    gint64 since = head_seq ();
    guint before = settled_fd_count ();
    gint64 opened;

    stream = raw_stream_open (hall->board, since, 0);
    raw_expect_frame (stream, 0x9, payload);
    raw_write_frame (stream, 0xa, TRUE, "", 0);
    opened = g_get_monotonic_time ();
    g_assert_cmpuint (test_hall_count_fds (hall), >, before);
    wait_fd_count (before, 15);
    g_assert_cmpint (g_get_monotonic_time () - opened, >=, 2 * G_USEC_PER_SEC);
    raw_stream_close (stream);
  }

  json_object_unref (test_http (hall, "GET", "/healthz", NULL, NULL, 200));
}

/* A client catching up on a log larger than the server queues for it, through a window so
 * small that the server's writes block: it still gets every event once, in order. */
static void
test_events_catch_up (void)
{
  g_autofree char *super_token = test_login (hall, "super", PIN_SUPERVISOR, NULL);
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  RawStream *stream;
  gint64 head = head_seq ();
  gint64 expected = 1;
  gint64 deadline;

  /* At a few hundred bytes an event, more than the server's 256 KiB of catch-up. */
  for (; head < 1200; head++)
    g_free (issue_token (hall, "pension-enrol", NULL));
  head = head_seq ();

  stream = raw_stream_open (super_token, 0, 4096);
  g_usleep (G_USEC_PER_SEC / 2);
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (expected <= head)
    {
      guint8 opcode = raw_read_frame (stream, payload);
      g_autoptr(JsonObject) event = NULL;

      /* Pings keep coming if the events stall. */
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (opcode == 0x9)
        continue;
      g_assert_cmpint (opcode, ==, 0x1);
      g_byte_array_append (payload, (const guint8 *) "", 1);
      event = parse_object ((const char *) payload->data);
      g_assert_cmpint (json_object_get_int_member (event, "seq"), ==, expected);
      expected++;
    }
  raw_stream_close (stream);
}

/* HTTPS and the event stream over TLS, with a self-signed certificate the client trusts. */
static void
test_tls (void)
{
  g_autofree char *cert = g_build_filename (hall->dir, "tls-cert.pem", NULL);
  g_autofree char *key = g_build_filename (hall->dir, "tls-key.pem", NULL);
  const char *openssl[] = {
    "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
    "-keyout", key, "-out", cert, NULL
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) trusted = NULL;
  SoupSession *plain = hall->session;
  Stream *board;
  int wait_status = 0;

  g_spawn_sync (NULL, (char **) openssl, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &wait_status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (wait_status, NULL));
  trusted = g_tls_file_database_new (cert, &error);
  g_assert_no_error (error);

  test_hall_stop_server (hall, SIGTERM);
  hall->tls_cert = cert;
  hall->tls_key = key;
  test_hall_start_server (hall);
  g_assert_true (g_str_has_prefix (hall->url, "https://"));
  hall->session = soup_session_new_with_options ("timeout", 30, "tls-database", trusted, NULL);

  test_healthz ();
  board = stream_open (hall->board, head_seq (), NULL);
  g_assert_no_error (board->error);
  g_free (issue_token (hall, "pension-enrol", NULL));
  stream_wait (board, 1);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (board->events, 0), "action"),
                   ==, "issue");
  stream_close (board);

  g_object_unref (hall->session);
  hall->session = plain;
  test_hall_stop_server (hall, SIGTERM);
  hall->tls_cert = NULL;
  hall->tls_key = NULL;
  test_hall_start_server (hall);
}

/* What the server says on its standard error when it starts listening on @listen. */
static char *
server_start_messages (const char *listen)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  char *err = NULL;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  server = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("ONEWINDOW_SERVER"), "--db", hall->db,
                                        "--listen", listen, NULL);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "listening on "));
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_communicate_utf8 (server, NULL, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  return err;
}

/* The catalogue's default status URL is 127.0.0.1: fine for one machine, but a server that
 * listens for the hall's network says its tickets' QR codes would not open on phones. */
static void
test_status_url_warning (void)
{
  test_hall_stop_server (hall, SIGTERM);
  {
    g_autofree char *local = server_start_messages ("127.0.0.1:0");
    g_autofree char *network = server_start_messages ("0.0.0.0:0");

    g_assert_null (strstr (local, "hall.status_base_url"));
    g_assert_nonnull (strstr (network, "set the catalogue's hall.status_base_url"));
    g_assert_nonnull (strstr (network, "http://127.0.0.1:8080"));
  }
  test_hall_start_server (hall);
}

/* Many windows calling at once never get the same ticket. */

typedef struct
{
  char      *window;
  char      *token;
  GPtrArray *numbers;
  gboolean   completing;
  guint     *running;
} Caller;

static void caller_next (Caller *caller);

static void
caller_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  Caller *caller = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  object = parse_object (text);
  if (json_object_has_member (object, "error"))
    g_error ("%s at %s: %s", caller->completing ? "complete" : "call", caller->window, text);
  if (caller->completing)
    caller->completing = FALSE;
  else if (json_object_get_null_member (object, "ticket"))
    {
      (*caller->running)--;
      return;
    }
  else
    {
      g_ptr_array_add (caller->numbers,
                       g_strdup (json_object_get_string_member (json_object_get_object_member (object, "ticket"), "number")));
      /* Hand it on: complete moves it to a step these windows do not serve. */
      caller->completing = TRUE;
    }
  caller_next (caller);
}

static void
caller_next (Caller *caller)
{
  g_autofree char *url = g_strdup_printf ("%s/api/v1/windows/%s/%s", hall->url, caller->window,
                                          caller->completing ? "complete" : "call");
  g_autofree char *header = g_strconcat ("Bearer ", caller->token, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", header);
  soup_session_send_and_read_async (hall->session, msg, G_PRIORITY_DEFAULT, NULL, caller_cb, caller);
}

static void
test_concurrent_calls (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  Caller callers[EXTRA_WINDOWS + 2];
  guint n = G_N_ELEMENTS (callers);
  guint running = n;
  guint total = 0;

  for (guint i = 0; i < n; i++)
    {
      guint number = i < 2 ? i + 1 : 11 + i - 2;
      g_autofree char *staff = g_strdup_printf ("c%u", number);

      callers[i].window = g_strdup_printf ("w%u", number);
      callers[i].token = test_login (hall, staff, PIN_COUNTER, callers[i].window);
      callers[i].numbers = g_ptr_array_new_with_free_func (g_free);
      callers[i].completing = FALSE;
      callers[i].running = &running;
      finish_in_hand (hall, callers[i].token, callers[i].window);
    }
  /* Empty the queues these windows share first. */
  for (;;)
    {
      g_autoptr(JsonObject) c = act (hall, callers[0].token, "w1", "call", NULL, 200);

      if (json_object_get_null_member (c, "ticket"))
        break;
      json_object_unref (act (hall, callers[0].token, "w1", "complete", NULL, 200));
    }

  for (guint i = 0; i < 120; i++)
    g_free (issue_token (hall, i % 3 ? "biz-reg" : "biz-change", NULL));

  for (guint i = 0; i < n; i++)
    caller_next (&callers[i]);
  while (running > 0)
    g_main_context_iteration (NULL, TRUE);

  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < callers[i].numbers->len; j++)
      {
        const char *number = g_ptr_array_index (callers[i].numbers, j);

        if (!g_hash_table_add (seen, (gpointer) number))
          g_error ("ticket %s handed to two windows", number);
        total++;
      }
  g_assert_cmpuint (total, ==, 120);
  for (guint i = 0; i < n; i++)
    {
      g_ptr_array_unref (callers[i].numbers);
      g_free (callers[i].window);
      g_free (callers[i].token);
    }
}

/* kill -9 under load: nothing acknowledged is lost, the audit chain verifies. */

typedef struct
{
  TestHall   *hall;
  GHashTable *issued;     /* token -> number, acknowledged */
  GHashTable *called;     /* number -> window, acknowledged */
  GHashTable *completed;  /* number, acknowledged */
  guint       in_flight;
  gboolean    killed;
  char       *counter;    /* session at w1 */
  char       *counter2;   /* session at w11 */
} Load;

static void load_issue (Load *load);
static void load_call (Load *load, const char *window, const char *token);

static void
load_issued_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  Load *load = data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  load->in_flight--;
  if (body != NULL && soup_message_get_status (msg) == 201)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
      g_autoptr(JsonObject) ticket = parse_object (text);

      g_hash_table_insert (load->issued, g_strdup (json_object_get_string_member (ticket, "token")),
                           g_strdup (json_object_get_string_member (ticket, "number")));
    }
  if (!load->killed)
    load_issue (load);
}

static void
load_issue (Load *load)
{
  g_autofree char *url = g_strconcat (load->hall->url, "/api/v1/tickets", NULL);
  g_autofree char *header = g_strconcat ("Bearer ", load->hall->kiosk, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) bytes = g_bytes_new_static ("{\"service\": \"biz-reg\"}", 22);

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", header);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  load->in_flight++;
  soup_session_send_and_read_async (load->hall->session, msg, G_PRIORITY_DEFAULT, NULL, load_issued_cb, load);
}

typedef struct
{
  Load *load;
  char *window;
  char *token;
  gboolean completing;
  char *number;
} CallState;

static void
call_state_free (CallState *state)
{
  g_free (state->window);
  g_free (state->token);
  g_free (state->number);
  g_free (state);
}

static void load_step (CallState *state);

static void
load_called_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  CallState *state = data;
  Load *load = state->load;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  load->in_flight--;
  if (body != NULL && soup_message_get_status (msg) == 200)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
      g_autoptr(JsonObject) object = parse_object (text);

      if (state->completing)
        {
          g_hash_table_add (load->completed, g_strdup (state->number));
          g_clear_pointer (&state->number, g_free);
          state->completing = FALSE;
        }
      else if (!json_object_get_null_member (object, "ticket"))
        {
          state->number = g_strdup (json_object_get_string_member (json_object_get_object_member (object, "ticket"), "number"));
          g_hash_table_insert (load->called, g_strdup (state->number), g_strdup (state->window));
          state->completing = TRUE;
        }
    }
  if (load->killed)
    {
      call_state_free (state);
      return;
    }
  load_step (state);
}

static void
load_step (CallState *state)
{
  g_autofree char *url = g_strdup_printf ("%s/api/v1/windows/%s/%s", state->load->hall->url, state->window,
                                          state->completing ? "complete" : "call");
  g_autofree char *header = g_strconcat ("Bearer ", state->token, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", header);
  state->load->in_flight++;
  soup_session_send_and_read_async (state->load->hall->session, msg, G_PRIORITY_DEFAULT, NULL, load_called_cb, state);
}

static void
load_call (Load       *load,
           const char *window,
           const char *token)
{
  CallState *state = g_new0 (CallState, 1);

  state->load = load;
  state->window = g_strdup (window);
  state->token = g_strdup (token);
  load_step (state);
}

static gboolean
kill_cb (gpointer data)
{
  Load *load = data;

  g_subprocess_force_exit (load->hall->server);
  load->killed = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_kill9 (void)
{
  TestHall *h = test_hall_new ();
  Load load = { 0 };
  g_autofree char *out = NULL;
  g_autoptr(JsonObject) verdict = NULL;
  GHashTableIter iter;
  gpointer key, value;
  guint delay = g_test_rand_int_range (150, 900);
  guint max_seq = 0;

  load.hall = h;
  load.issued = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  load.called = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  load.completed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  load.counter = test_login (h, "c1", PIN_COUNTER, "w1");
  load.counter2 = test_login (h, "c11", PIN_COUNTER, "w11");

  for (int i = 0; i < 8; i++)
    load_issue (&load);
  load_call (&load, "w1", load.counter);
  load_call (&load, "w11", load.counter2);
  g_timeout_add (delay, kill_cb, &load);
  while (!load.killed || load.in_flight > 0)
    g_main_context_iteration (NULL, TRUE);
  g_test_message ("killed after %u ms: %u tickets, %u calls, %u completions acknowledged", delay,
                  g_hash_table_size (load.issued), g_hash_table_size (load.called),
                  g_hash_table_size (load.completed));
  g_assert_cmpuint (g_hash_table_size (load.issued), >, 0);
  g_subprocess_wait (h->server, NULL, NULL);
  g_clear_object (&h->server);

  /* Restart on the same file; signed-in staff stay signed in. */
  test_hall_start_server (h);
  g_hash_table_iter_init (&iter, load.issued);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/tickets/%s", (char *) key);
      g_autoptr(JsonObject) ticket = test_http (h, "GET", path, NULL, NULL, 200);
      const char *number = value;
      const char *state = json_object_get_string_member (ticket, "state");

      g_assert_cmpstr (json_object_get_string_member (ticket, "number"), ==, number);
      max_seq = MAX (max_seq, (guint) g_ascii_strtoull (number + 1, NULL, 10));
      if (g_hash_table_contains (load.completed, number))
        g_assert_cmpstr (json_object_get_string_member (ticket, "step"), ==, "biz-reg/accept");
      else if (g_hash_table_contains (load.called, number))
        {
          /* The call was acknowledged; a completion may have committed without its answer
           * reaching us before the kill, which moves the ticket to the next step. */
          if (g_strcmp0 (state, "called") != 0)
            {
              g_assert_cmpstr (state, ==, "waiting");
              g_assert_cmpstr (json_object_get_string_member (ticket, "step"), ==, "biz-reg/accept");
            }
        }
    }

  /* Numbers are never handed out twice, even after a crash. */
  {
    g_autofree char *number = NULL;
    g_autofree char *token = issue_token (h, "biz-reg", &number);

    g_assert_cmpuint (g_ascii_strtoull (number + 1, NULL, 10), >, max_seq);
  }
  {
    g_autoptr(JsonObject) still = act (h, load.counter, "w1", "resume", NULL, 409);
  }

  out = test_cli (h, NULL, "--json", "audit", "verify", NULL);
  verdict = parse_object (out);
  g_assert_true (json_object_get_boolean_member (verdict, "ok"));
  /* The waiting counts the triggers keep came through the kill, the group commits and the
   * operations rolled back inside them. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(OwDb) db = ow_db_open (h->db, &error);

    g_assert_no_error (error);
    assert_waiting_counts (db);
  }

  g_hash_table_unref (load.issued);
  g_hash_table_unref (load.called);
  g_hash_table_unref (load.completed);
  g_free (load.counter);
  g_free (load.counter2);
  test_hall_free (h);
}

/* 容缺受理 through the API: a counter completes a step with a document missing; the status
 * page tells the citizen what to bring by when; staff record it when it comes. */
static void
test_promise (void)
{
  g_autofree char *number = NULL;
  g_autofree char *token = NULL;
  g_autofree char *page_path = NULL;
  g_autofree char *supply_path = NULL;
  g_autofree char *zh = NULL;
  g_autofree char *s3 = test_login (hall, "c8", PIN_COUNTER, "w3");
  g_autoptr(JsonObject) done = NULL;
  g_autoptr(JsonObject) listed = NULL;
  g_autoptr(JsonObject) supplied = NULL;
  JsonObject *promise;

  finish_in_hand (hall, s3, "w3");
  token = issue_token (hall, "food-licence", &number);
  json_object_unref (call_until (hall, s3, "w3", number));
  {
    g_autoptr(JsonObject) bad_day = act (hall, s3, "w3", "complete",
                                         "{\"missing\": [\"health-certificate\"], \"deadline\": \"yesterday\"}", 400);
    g_autoptr(JsonObject) bad_list = act (hall, s3, "w3", "complete", "{\"missing\": []}", 400);
  }
  done = act (hall, s3, "w3", "complete", "{\"missing\": [\"health-certificate\"]}", 200);
  promise = json_object_get_object_member (json_object_get_object_member (done, "ticket"), "promise");
  g_assert_nonnull (promise);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (promise, "documents"), 0),
                   ==, "health-certificate");

  page_path = g_strdup_printf ("/t/%s", token);
  zh = get_page (page_path, "zh-CN", 200);
  g_assert_nonnull (strstr (zh, "从业人员健康证明"));
  g_assert_nonnull (strstr (zh, json_object_get_string_member (promise, "deadline")));

  listed = test_http (hall, "GET", "/api/v1/promises", s3, NULL, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (listed, "promises")), >=, 1);

  supply_path = g_strdup_printf ("/api/v1/tickets/%s/supply", token);
  {
    g_autoptr(JsonObject) wrong = test_http (hall, "POST", supply_path, s3, "{\"documents\": [\"id-card\"]}", 404);
  }
  supplied = test_http (hall, "POST", supply_path, s3, "{}", 200);
  g_assert_true (json_object_get_null_member (supplied, "promise"));
  {
    g_autoptr(JsonObject) again = test_http (hall, "POST", supply_path, s3, "{}", 409);
  }
}

/* 好差评 follow-up through the API: supervisors list bad ratings and follow them up; the
 * counter staff who owns one may appeal it, and nobody else. */
static void
test_followup (void)
{
  g_autofree char *number = NULL;
  g_autofree char *token = NULL;
  g_autofree char *rating_path = NULL;
  g_autofree char *followup_path = NULL;
  g_autofree char *owner = test_login (hall, "c5", PIN_COUNTER, "w8");
  g_autofree char *other = test_login (hall, "c6", PIN_COUNTER, "w6");
  g_autofree char *super = test_login (hall, "super", PIN_SUPERVISOR, NULL);
  g_autoptr(JsonObject) rated = NULL;
  g_autoptr(JsonObject) listed = NULL;
  g_autoptr(JsonObject) stats = NULL;
  JsonArray *followups;
  JsonObject *followup = NULL;

  finish_in_hand (hall, owner, "w8");
  token = issue_token (hall, "pension-enrol", &number);
  json_object_unref (call_until (hall, owner, "w8", number));
  json_object_unref (act (hall, owner, "w8", "complete", NULL, 200));
  rating_path = g_strdup_printf ("/api/v1/tickets/%s/rating", token);
  rated = test_http (hall, "POST", rating_path, NULL, "{\"level\": 1, \"comment\": \"等了很久\"}", 201);
  g_assert_true (json_object_has_member (rated, "followup_due"));
  {
    g_autofree char *page_path = g_strdup_printf ("/t/%s", token);
    g_autofree char *zh = get_page (page_path, "zh-CN", 200);

    g_assert_nonnull (strstr (zh, json_object_get_string_member (rated, "followup_due")));
  }

  listed = test_http (hall, "GET", "/api/v1/followups", super, NULL, 200);
  followups = json_object_get_array_member (listed, "followups");
  for (guint i = 0; i < json_array_get_length (followups); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (followups, i), "ticket"), number) == 0)
      followup = json_array_get_object_element (followups, i);
  g_assert_nonnull (followup);
  g_assert_cmpstr (json_object_get_string_member (followup, "staff"), ==, "c5");
  g_assert_cmpstr (json_object_get_string_member (followup, "state"), ==, "open");
  followup_path = g_strdup_printf ("/api/v1/followups/%" G_GINT64_FORMAT, json_object_get_int_member (followup, "id"));

  {
    g_autoptr(JsonObject) not_theirs = test_http (hall, "POST", followup_path, other,
                                                  "{\"state\": \"appealed\", \"note\": \"不是我\"}", 422);
    g_autoptr(JsonObject) not_appeal = test_http (hall, "POST", followup_path, owner,
                                                  "{\"state\": \"fixed\", \"note\": \"已改\"}", 422);
    g_autoptr(JsonObject) no_note = test_http (hall, "POST", followup_path, super, "{\"state\": \"fixed\"}", 400);
    g_autoptr(JsonObject) bad_id = test_http (hall, "POST", "/api/v1/followups/x1", super,
                                              "{\"state\": \"fixed\", \"note\": \"n\"}", 404);
    g_autoptr(JsonObject) appealed = test_http (hall, "POST", followup_path, owner,
                                                "{\"state\": \"appealed\", \"note\": \"材料确实不全\"}", 200);
    g_autoptr(JsonObject) fixed = test_http (hall, "POST", followup_path, super,
                                             "{\"state\": \"fixed\", \"note\": \"已电话回访并改进告知单\"}", 200);
    g_autoptr(JsonObject) after_end = test_http (hall, "POST", followup_path, super,
                                                 "{\"state\": \"explained\", \"note\": \"n\"}", 409);

    g_assert_cmpstr (json_object_get_string_member (appealed, "state"), ==, "appealed");
    g_assert_cmpstr (json_object_get_string_member (fixed, "state"), ==, "fixed");
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (fixed, "notes")), ==, 2);
  }

  stats = test_http (hall, "GET", "/api/v1/stats", super, NULL, 200);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (json_object_get_object_member (stats, "ratings"),
                                                                              "followup"), "fixed"), >=, 1);

  /* The citizen's page says the rating was followed up. */
  {
    g_autofree char *page_path = g_strdup_printf ("/t/%s", token);
    g_autofree char *en = get_page (page_path, "en", 200);

    g_assert_nonnull (strstr (en, "The hall has followed up your rating."));
  }
}

/* One HTTP/1.1 request of /healthz on @conn, read up to the end of its answer's body;
 * half_close: the client says it will send nothing more before it reads the answer. */
static void
healthz_on (GSocketConnection *conn,
            gboolean           half_close)
{
  const char *request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) answer = g_string_new (NULL);
  char buffer[4096];
  gssize n;

  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), request, strlen (request),
                             NULL, NULL, &error);
  g_assert_no_error (error);
  if (half_close)
    {
      g_socket_shutdown (g_socket_connection_get_socket (conn), FALSE, TRUE, &error);
      g_assert_no_error (error);
    }
  /* The body of /healthz is its last bytes; the server closing the connection fails here. */
  while (strstr (answer->str, "\"ok\"}") == NULL)
    {
      n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)), buffer, sizeof buffer, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (n, >, 0);
      g_string_append_len (answer, buffer, n);
    }
  g_assert_true (g_str_has_prefix (answer->str, "HTTP/1.1 200"));
}

static GSocketConnection *
connect_to_server (void)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = g_uri_parse (hall->url, G_URI_FLAGS_NONE, &error);
  GSocketConnection *conn;

  g_assert_no_error (error);
  conn = g_socket_client_connect_to_host (client, g_uri_get_host (uri), (guint16) g_uri_get_port (uri), NULL, &error);
  g_assert_no_error (error);
  return conn;
}

/* Clients come and go: a phone leaves the status page, a counter restarts, libsoup's own
 * clients drop idle connections.  The server must close its side of every connection its
 * client closed, or it runs out of descriptors within a busy day (libsoup 3.2 leaves such
 * connections open by itself). */
static void
test_abandoned_connections (void)
{
  guint before, after = 0;

  /* Connections the earlier tests' clients left are closed first, so they cannot make up
   * for these. */
  g_usleep (1500 * 1000);
  before = test_hall_count_fds (hall);

  for (guint i = 0; i < 40; i++)
    {
      g_autoptr(GSocketConnection) conn = connect_to_server ();

      healthz_on (conn, i % 4 == 0);
      if (i % 4 == 1)
        {
          /* Reset rather than closed, as a crashed client's kernel does. */
          struct linger reset = { 1, 0 };

          g_assert_cmpint (setsockopt (g_socket_get_fd (g_socket_connection_get_socket (conn)), SOL_SOCKET, SO_LINGER,
                                       &reset, sizeof reset), ==, 0);
        }
      g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
    }
  /* Connections closed before any request, as browsers' speculative ones are. */
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(GSocketConnection) conn = connect_to_server ();

      g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
    }
  /* The server notices within a few seconds; without the fix it would hold 40 more. */
  for (guint tries = 0; tries < 100; tries++)
    {
      after = test_hall_count_fds (hall);
      if (after <= before)
        break;
      g_usleep (100 * 1000);
    }
  g_assert_cmpuint (after, <=, before);

  /* A client that is still there keeps its connection, however long it stays idle. */
  {
    g_autoptr(GSocketConnection) kept = connect_to_server ();

    healthz_on (kept, FALSE);
    g_usleep (2500 * 1000);
    healthz_on (kept, FALSE);
    g_io_stream_close (G_IO_STREAM (kept), NULL, NULL);
  }
}

static void
lower_descriptor_limit (gpointer data)
{
  struct rlimit limit;

  die_with_parent (data);
  if (getrlimit (RLIMIT_NOFILE, &limit) == 0)
    {
      limit.rlim_cur = MIN (limit.rlim_max, 256);
      setrlimit (RLIMIT_NOFILE, &limit);
    }
}

/* Started with a soft limit of 256 open files, the server raises it to the hard limit. */
static void
test_descriptor_limit (void)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *limits_path = NULL;
  g_autofree char *limits = NULL;
  struct rlimit own;
  const char *row;
  guint64 soft, hard;

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &own), ==, 0);
  if (own.rlim_max <= 256)
    {
      g_test_skip ("the hard limit of open files is 256 or less here");
      return;
    }
  g_subprocess_launcher_set_child_setup (launcher, lower_descriptor_limit, NULL, NULL);
  server = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("ONEWINDOW_SERVER"), "--db", hall->db,
                                        "--listen", "127.0.0.1:0", NULL);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);

  limits_path = g_strdup_printf ("/proc/%s/limits", g_subprocess_get_identifier (server));
  g_assert_true (g_file_get_contents (limits_path, &limits, NULL, NULL));
  row = strstr (limits, "Max open files");
  g_assert_nonnull (row);
  g_assert_cmpint (sscanf (row + strlen ("Max open files"), " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, &soft, &hard),
                   ==, 2);
  g_assert_cmpuint (soft, ==, hard);
  g_assert_cmpuint (soft, >, 256);

  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait_check (server, NULL, &error);
  g_assert_no_error (error);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  if (sodium_init () < 0)
    g_error ("libsodium cannot be initialised");

  hall = test_hall_new ();

  g_test_add_func ("/ow/server/healthz", test_healthz);
  g_test_add_func ("/ow/server/role-matrix", test_role_matrix);
  g_test_add_func ("/ow/server/lockout", test_lockout);
  g_test_add_func ("/ow/server/visit", test_visit);
  g_test_add_func ("/ow/server/followup", test_followup);
  g_test_add_func ("/ow/server/promise", test_promise);
  g_test_add_func ("/ow/server/window-ticket", test_window_ticket);
  g_test_add_func ("/ow/server/admin", test_admin);
  g_test_add_func ("/ow/server/bad-input", test_bad_input);
  g_test_add_func ("/ow/server/status-page", test_status_page);
  g_test_add_func ("/ow/server/server-language", test_server_language);
  g_test_add_func ("/ow/server/events-resume", test_events_resume);
  g_test_add_func ("/ow/server/events-across-threads", test_events_across_threads);
  g_test_add_func ("/ow/server/events-protocol", test_events_protocol);
  g_test_add_func ("/ow/server/events-catch-up", test_events_catch_up);
  g_test_add_func ("/ow/server/tls", test_tls);
  g_test_add_func ("/ow/server/status-url-warning", test_status_url_warning);
  g_test_add_func ("/ow/server/concurrent-calls", test_concurrent_calls);
  g_test_add_func ("/ow/server/abandoned-connections", test_abandoned_connections);
  g_test_add_func ("/ow/server/descriptor-limit", test_descriptor_limit);
  g_test_add_func ("/ow/server/kill9", test_kill9);

  status = g_test_run ();
  test_hall_free (hall);
  return status;
}
