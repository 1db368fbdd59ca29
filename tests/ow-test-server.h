/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by the server tests: a real hall database made with the real CLI, the real server
 * binary on an ephemeral loopback port, and real HTTP through libsoup. */

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#define PIN_ADMIN "24680"
#define PIN_SUPERVISOR "13579"
#define PIN_COUNTER "1234"
#define EXTRA_WINDOWS 20

typedef struct
{
  char        *dir;
  char        *db;
  char        *catalog;
  GSubprocess *server;
  char        *url;
  char        *listen;    /* NULL: an ephemeral port */
  const char  *language;  /* the server's LANGUAGE, or NULL to leave it unset */
  const char  *tls_cert;  /* PEM files for HTTPS, or NULL for HTTP */
  const char  *tls_key;
  char        *kiosk;     /* device tokens */
  char        *board;
  char        *revoked;
  SoupSession *session;
} TestHall;

static inline char *
test_cli (TestHall    *hall,
          const char  *stdin_text,
          ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (gpointer) g_getenv ("ONEWINDOW_CLI"));
  g_ptr_array_add (argv, (gpointer) "--db");
  g_ptr_array_add (argv, hall->db);
  va_start (args, stdin_text);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, stdin_text, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (process))
    g_error ("onewindow %s failed: %s", (char *) argv->pdata[3], err);
  return g_steal_pointer (&out);
}

static inline JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static inline char *
test_device (TestHall   *hall,
             const char *name,
             const char *role)
{
  g_autofree char *out = test_cli (hall, NULL, "--json", "device", "add", name, "--role", role, NULL);
  g_autoptr(JsonObject) result = parse_object (out);

  return g_strdup (json_object_get_string_member (result, "token"));
}

/* The demo catalogue, open around the clock with room for many tickets, plus windows
 * w11.. that all serve the first step of biz-reg, so calls compete for the same queue. */
static inline void
write_test_catalog (const char *path,
                    guint       extra_windows)
{
  g_autofree char *demo = g_build_filename (SOURCE_DATADIR, "demo-catalog.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root;
  JsonArray *services, *windows;

  json_parser_load_from_file (parser, demo, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  services = json_object_get_array_member (root, "services");
  for (guint i = 0; i < json_array_get_length (services); i++)
    {
      JsonObject *service = json_array_get_object_element (services, i);
      JsonArray *hours = json_array_new ();

      json_array_add_string_element (hours, "00:00-24:00");
      json_object_set_array_member (service, "hours", hours);
      json_object_set_int_member (service, "daily_cap", 5000);
    }
  windows = json_object_get_array_member (root, "windows");
  for (guint i = 0; i < extra_windows; i++)
    {
      JsonObject *window = json_object_new ();
      JsonObject *name = json_object_new ();
      JsonArray *steps = json_array_new ();
      g_autofree char *id = g_strdup_printf ("w%u", 11 + i);
      g_autofree char *zh = g_strdup_printf ("%u号窗口", 11 + i);
      g_autofree char *en = g_strdup_printf ("Window %u", 11 + i);

      json_object_set_string_member (window, "id", id);
      json_object_set_int_member (window, "number", 11 + i);
      json_object_set_string_member (name, "zh_CN", zh);
      json_object_set_string_member (name, "en", en);
      json_object_set_object_member (window, "name", name);
      json_array_add_string_element (steps, "biz-reg/review");
      json_object_set_array_member (window, "steps", steps);
      json_array_add_object_element (windows, window);
    }
  json_generator_set_root (generator, json_parser_get_root (parser));
  json_generator_to_file (generator, path, &error);
  g_assert_no_error (error);
}

static inline void
die_with_parent (gpointer data)
{
  /* A failed assertion aborts the test; its server must not outlive it holding the pipes. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static inline void
test_hall_start_server (TestHall *hall)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autofree char *line = NULL;
  const char *server = g_getenv ("ONEWINDOW_SERVER");

  g_assert_nonnull (server);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  if (hall->language != NULL)
    g_subprocess_launcher_setenv (launcher, "LANGUAGE", hall->language, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "LANGUAGE");
  /* GnuTLS, loaded with GLib's TLS module, has thread-local variables that LeakSanitizer's
   * tracking of dynamic TLS (GCC 12) misreads: its tracer crashes at exit.  Without that
   * tracking the leak check still runs. */
  if (hall->tls_cert != NULL)
    {
      const char *options = g_getenv ("ASAN_OPTIONS");
      g_autofree char *asan = g_strconcat (options != NULL ? options : "", ":intercept_tls_get_addr=0",
                                           NULL);

      g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", asan, TRUE);
    }
  /* Three HTTP threads whatever the machine: requests and event streams land on different
   * ones, so every test also checks that they answer and broadcast for each other. */
  hall->server = g_subprocess_launcher_spawn (launcher, &error,
                                              server, "--db", hall->db,
                                              "--listen", hall->listen != NULL ? hall->listen : "127.0.0.1:0",
                                              "--keepalive", "1", "--http-threads", "3",
                                              hall->tls_cert != NULL ? "--tls-cert" : NULL,
                                              hall->tls_cert, "--tls-key", hall->tls_key, NULL);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (hall->server));
  line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, hall->tls_cert != NULL ? "listening on https://127.0.0.1:"
                                                              : "listening on http://127.0.0.1:"));
  g_free (hall->url);
  hall->url = g_strdup (line + strlen ("listening on "));
}

/* The descriptors the server process holds open. */
static inline guint
test_hall_count_fds (TestHall *hall)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/fd", g_subprocess_get_identifier (hall->server));
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint count = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    count++;
  return count;
}

/* SIGTERM: the server must stop cleanly.  SIGKILL: it just dies. */
static inline void
test_hall_stop_server (TestHall *hall,
                       int       signum)
{
  g_autoptr(GError) error = NULL;

  if (hall->server == NULL)
    return;
  g_subprocess_send_signal (hall->server, signum);
  g_subprocess_wait (hall->server, NULL, &error);
  g_assert_no_error (error);
  if (signum == SIGTERM)
    {
      g_assert_true (g_subprocess_get_if_exited (hall->server));
      g_assert_cmpint (g_subprocess_get_exit_status (hall->server), ==, 0);
    }
  g_clear_object (&hall->server);
}

static inline TestHall *
test_hall_new (void)
{
  TestHall *hall = g_new0 (TestHall, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  hall->dir = g_dir_make_tmp ("ow-server-test-XXXXXX", &error);
  g_assert_no_error (error);
  hall->db = g_build_filename (hall->dir, "hall.db", NULL);
  hall->catalog = g_build_filename (hall->dir, "catalog.json", NULL);
  write_test_catalog (hall->catalog, EXTRA_WINDOWS);

  g_free (test_cli (hall, NULL, "init", NULL));
  g_free (test_cli (hall, NULL, "catalog", "import", hall->catalog, NULL));
  g_free (test_cli (hall, PIN_ADMIN "\n", "staff", "add", "admin", "--name", "管理员", "--role", "admin", NULL));
  g_free (test_cli (hall, PIN_SUPERVISOR "\n", "staff", "add", "super", "--name", "王主任", "--role", "supervisor", NULL));
  for (guint i = 1; i <= 10 + EXTRA_WINDOWS; i++)
    {
      g_autofree char *id = g_strdup_printf ("c%u", i);

      g_free (test_cli (hall, PIN_COUNTER "\n", "staff", "add", id, "--name", "窗口人员", "--role", "counter", NULL));
    }
  hall->kiosk = test_device (hall, "kiosk-1", "kiosk");
  hall->board = test_device (hall, "board-1", "board");
  hall->revoked = test_device (hall, "kiosk-old", "kiosk");
  g_free (test_cli (hall, NULL, "device", "revoke", "kiosk-old", NULL));

  hall->session = soup_session_new_with_options ("timeout", 30, "max-conns", 200, "max-conns-per-host", 200, NULL);
  test_hall_start_server (hall);
  return hall;
}

static inline void
remove_tree (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *child = g_build_filename (dir, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (dir);
}

static inline void
test_hall_free (TestHall *hall)
{
  test_hall_stop_server (hall, SIGTERM);
  g_clear_object (&hall->session);
  remove_tree (hall->dir);
  g_free (hall->dir);
  g_free (hall->db);
  g_free (hall->catalog);
  g_free (hall->url);
  g_free (hall->listen);
  g_free (hall->kiosk);
  g_free (hall->board);
  g_free (hall->revoked);
  g_free (hall);
}

/* One synchronous request.  Returns the parsed body (NULL when it is not JSON); *status gets
 * the HTTP status. */
static inline JsonNode *
test_http_raw (TestHall    *hall,
               const char  *method,
               const char  *path,
               const char  *token,
               const char  *body,
               gssize       length,
               guint       *status,
               char       **out_text)
{
  g_autofree char *url = g_strconcat (hall->url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_nonnull (msg);
  if (token != NULL)
    {
      g_autofree char *header = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", header);
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, length < 0 ? strlen (body) : (gsize) length);

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  response = soup_session_send_and_read (hall->session, msg, NULL, &error);
  g_assert_no_error (error);
  *status = soup_message_get_status (msg);
  if (out_text != NULL)
    *out_text = g_strndup (g_bytes_get_data (response, NULL), g_bytes_get_size (response));
  if (g_bytes_get_size (response) == 0 ||
      !json_parser_load_from_data (parser, g_bytes_get_data (response, NULL), g_bytes_get_size (response), NULL))
    return NULL;
  return json_node_copy (json_parser_get_root (parser));
}

/* A request that must answer @expected with a JSON object (an error object for 4xx). */
static inline JsonObject *
test_http (TestHall    *hall,
           const char  *method,
           const char  *path,
           const char  *token,
           const char  *body,
           guint        expected)
{
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;
  guint status = 0;

  node = test_http_raw (hall, method, path, token, body, -1, &status, &text);
  if (status != expected)
    g_error ("%s %s: expected %u, got %u: %s", method, path, expected, status, text);
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  if (expected >= 400)
    {
      JsonObject *error = json_object_get_object_member (json_node_get_object (node), "error");

      g_assert_nonnull (error);
      g_assert_nonnull (json_object_get_string_member (error, "code"));
      g_assert_nonnull (json_object_get_string_member (error, "message"));
    }
  return json_object_ref (json_node_get_object (node));
}

static inline char *
test_login (TestHall   *hall,
            const char *staff,
            const char *pin,
            const char *window)
{
  g_autofree char *body = window != NULL
    ? g_strdup_printf ("{\"staff\": \"%s\", \"pin\": \"%s\", \"window\": \"%s\"}", staff, pin, window)
    : g_strdup_printf ("{\"staff\": \"%s\", \"pin\": \"%s\"}", staff, pin);
  g_autoptr(JsonObject) result = test_http (hall, "POST", "/api/v1/login", NULL, body, 200);

  return g_strdup (json_object_get_string_member (result, "token"));
}

static inline const char *
error_code (JsonObject *result)
{
  return json_object_get_string_member (json_object_get_object_member (result, "error"), "code");
}
