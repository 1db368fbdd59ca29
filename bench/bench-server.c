/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Load generator for the hall server, on loopback only: N counter windows calling and
 * completing, M kiosks issuing, B boards on the event stream.  It starts its own server on a
 * temporary database with a generated catalogue, measures, and prints:
 *   p50/p99 latency of issue and call, operations per second, call-to-board delay, and the
 *   raw durable-commit rate of SQLite (WAL, synchronous=FULL) on the same disk in this run.
 * The catalogue's ten services have one to four steps, as a hall's flows do, and every window
 * serves every step.  Per server mode:
 *   - latency: an open load at a hall's pace, every window and kiosk acting about once per
 *     --pace-ms (default 1000 ms, jittered), through libsoup as the hall's apps send;
 *     latencies are meaningful only below saturation;
 *   - throughput: a closed loop, every client sending its next request the moment the last
 *     one is answered, which saturates the server; operations per second against the mean of
 *     the raw commit rate measured just before and just after.  Its windows and kiosks run
 *     twice: once with a lean HTTP/1.1 client written here, which measures the server, and
 *     once through libsoup, whose client on the same cores takes about 40 % of the CPU of
 *     every write.  The boards always listen through libsoup.
 * By default it runs both phases with and without group commit.
 *
 *   bench-server [--windows 200] [--kiosks 20] [--boards 10] [--seconds 5] [--pace-ms 1000]
 *                [--only-group] [--closed-only] [--clients lean|libsoup|both] */

#include <glib/gstdio.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define N_SERVICES 10
#define N_WORKERS 4
#define PINGPONG_ROUNDS 20000

static int opt_windows = 200;
static int opt_kiosks = 20;
static int opt_boards = 10;
static int opt_seconds = 5;
static int opt_pace_ms = 1000;
static gboolean opt_only_group = FALSE;
static gboolean opt_closed_only = FALSE;
static char *opt_clients = NULL;

typedef struct
{
  SoupSession *session;
  char        *url;
  char        *kiosk_token;
  char        *board_token;
  char       **window_tokens;
  gint64      *call_sent;      /* per window: when its outstanding call left, or 0 */
  GArray      *issue_lat;      /* double, ms */
  GArray      *call_lat;
  GArray      *board_delay;
  guint64      ops;
  gboolean     stopping;
  guint        in_flight;
  int          pace_ms;        /* think time between an actor's requests; 0: closed loop */
  gboolean     lean;           /* windows and kiosks speak HTTP/1.1 themselves */
  GPtrArray   *boards;
} Bench;

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
pct (GArray *values,
     double  p)
{
  guint i;

  if (values->len == 0)
    return 0;
  g_array_sort (values, compare_double);
  i = (guint) (p * (values->len - 1) + 0.5);
  return g_array_index (values, double, MIN (i, values->len - 1));
}

/* The steps of service @s: one to four, as a hall's flows run from a single step
 * (enquiries) to four (pre-review, acceptance, payment, certificate). */
static int
steps_of_service (int s)
{
  return s % 4 + 1;
}

static char *
write_catalog (const char *dir)
{
  g_autoptr(GString) json = g_string_new (NULL);
  char *path = g_build_filename (dir, "catalog.json", NULL);

  g_string_append (json, "{\"hall\": {\"name\": {\"zh_CN\": \"压力测试大厅\", \"en\": \"Load test hall\"}},"
                         " \"departments\": [{\"id\": \"d\", \"name\": {\"zh_CN\": \"部门\", \"en\": \"Dept\"}}],"
                         " \"documents\": [{\"id\": \"id-card\", \"name\": {\"zh_CN\": \"身份证\", \"en\": \"ID card\"}}],"
                         " \"services\": [");
  for (int s = 0; s < N_SERVICES; s++)
    {
      g_string_append_printf (json, "%s{\"code\": \"s%d\", \"prefix\": \"%c\", \"department\": \"d\","
                              " \"name\": {\"zh_CN\": \"事项%d\", \"en\": \"Service %d\"}, \"daily_cap\": 9999,"
                              " \"hours\": [\"00:00-24:00\"], \"green_channel\": false, \"documents\": [\"id-card\"],"
                              " \"steps\": [",
                              s ? ", " : "", s, 'A' + s, s, s);
      for (int t = 1; t <= steps_of_service (s); t++)
        g_string_append_printf (json, "%s{\"id\": \"s%d/step%d\", \"name\": {\"zh_CN\": \"环节%d\", \"en\": \"Step %d\"},"
                                " \"limit_minutes\": 10}", t > 1 ? ", " : "", s, t, t, t);
      g_string_append (json, "]}");
    }
  g_string_append (json, "], \"windows\": [");
  for (int w = 1; w <= opt_windows; w++)
    {
      g_string_append_printf (json, "%s{\"id\": \"w%d\", \"number\": %d, \"name\": {\"zh_CN\": \"%d号窗口\","
                              " \"en\": \"Window %d\"}, \"steps\": [", w > 1 ? ", " : "", w, w, w, w);
      for (int s = 0; s < N_SERVICES; s++)
        for (int t = 1; t <= steps_of_service (s); t++)
          g_string_append_printf (json, "%s\"s%d/step%d\"", s || t > 1 ? ", " : "", s, t);
      g_string_append (json, "]}");
    }
  g_string_append (json, "]}");
  g_file_set_contents (path, json->str, json->len, NULL);
  return path;
}

static char *
run_cli (const char *cli,
         const char *db,
         const char *input,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (gpointer) cli);
  g_ptr_array_add (argv, (gpointer) "--db");
  g_ptr_array_add (argv, (gpointer) db);
  va_start (args, input);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  if (process == NULL || !g_subprocess_communicate_utf8 (process, input, NULL, &out, NULL, &error) ||
      !g_subprocess_get_successful (process))
    g_error ("onewindow %s failed", (char *) argv->pdata[3]);
  return out;
}

static char *
token_of (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  json_parser_load_from_data (parser, json, -1, NULL);
  return g_strdup (json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)), "token"));
}

static void
raw_exec (sqlite3    *db,
          const char *sql)
{
  if (sqlite3_exec (db, sql, NULL, NULL, NULL) != SQLITE_OK)
    g_error ("raw commit rate: %s: %s", sql, sqlite3_errmsg (db));
}

/* Durable commits of one tiny row, one after another, for @us µs; returns how many. */
static int
raw_commits (sqlite3      *db,
             sqlite3_stmt *insert,
             gint64        us)
{
  gint64 start = g_get_monotonic_time ();
  int n = 0;

  do
    {
      raw_exec (db, "BEGIN IMMEDIATE");
      sqlite3_bind_int (insert, 1, n);
      if (sqlite3_step (insert) != SQLITE_DONE)
        g_error ("raw commit rate: insert: %s", sqlite3_errmsg (db));
      sqlite3_reset (insert);
      raw_exec (db, "COMMIT");
      n++;
    }
  while (g_get_monotonic_time () - start < us);
  return n;
}

/* The raw rate of tiny durable commits on this disk: the ceiling of one commit per write.
 * Dirty pages of earlier runs are written out first (sync ()), or their writeback competes
 * with these commits; and the first half second on the fresh file, which runs a few
 * per cent slower while the log file grows, is not counted. */
static double
raw_commit_rate (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "raw.db", NULL);
  sqlite3 *db;
  sqlite3_stmt *insert;
  gint64 start, elapsed;
  int n;

  for (int i = 0; i < 3; i++)
    {
      g_autofree char *file = g_strconcat (path, (const char *[]) { "", "-wal", "-shm" }[i], NULL);

      g_unlink (file);
    }
  sync ();
  if (sqlite3_open (path, &db) != SQLITE_OK)
    g_error ("raw commit rate: %s: %s", path, sqlite3_errmsg (db));
  raw_exec (db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                "CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER)");
  if (sqlite3_prepare_v2 (db, "INSERT INTO t (x) VALUES (?1)", -1, &insert, NULL) != SQLITE_OK)
    g_error ("raw commit rate: %s", sqlite3_errmsg (db));
  raw_commits (db, insert, G_USEC_PER_SEC / 2);
  start = g_get_monotonic_time ();
  n = raw_commits (db, insert, 2 * G_USEC_PER_SEC);
  elapsed = g_get_monotonic_time () - start;
  sqlite3_finalize (insert);
  sqlite3_close (db);
  return n / (elapsed / (double) G_USEC_PER_SEC);
}

static int pingpong_fds[2];

static gpointer
pingpong_peer (gpointer data)
{
  guint64 value;

  for (int i = 0; i < PINGPONG_ROUNDS; i++)
    if (read (pingpong_fds[0], &value, sizeof value) != sizeof value ||
        write (pingpong_fds[1], &value, sizeof value) != sizeof value)
      break;
  return NULL;
}

/* This machine's speed at this moment, for comparing runs: the same binaries ran a third
 * slower in some stretches than in others on the shared development machine.  Prints the
 * time to hash 16 MiB, the cost of a trivial system call, and a round trip between two
 * threads that wake each other (every write crosses threads and processes several times). */
static void
print_machine_reference (void)
{
  GThread *peer;
  gint64 woken;

  static guint8 block[64 * 1024];
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  gint64 start, hashed, called;

  for (gsize i = 0; i < sizeof block; i++)
    block[i] = (guint8) (i * 7);
  start = g_get_monotonic_time ();
  for (int i = 0; i < 256; i++)
    g_checksum_update (checksum, block, sizeof block);
  g_checksum_get_string (checksum);
  hashed = g_get_monotonic_time ();
  for (int i = 0; i < 100000; i++)
    getppid ();
  called = g_get_monotonic_time ();

  pingpong_fds[0] = eventfd (0, 0);
  pingpong_fds[1] = eventfd (0, 0);
  peer = g_thread_new ("pingpong", pingpong_peer, NULL);
  for (int i = 0; i < PINGPONG_ROUNDS; i++)
    {
      guint64 value = 1;

      if (write (pingpong_fds[0], &value, sizeof value) != sizeof value ||
          read (pingpong_fds[1], &value, sizeof value) != sizeof value)
        g_error ("eventfd: %s", g_strerror (errno));
    }
  woken = g_get_monotonic_time ();
  g_thread_join (peer);
  close (pingpong_fds[0]);
  close (pingpong_fds[1]);

  printf ("machine reference: SHA-256 of 16 MiB in %.1f ms, a system call %.2f us,"
          " a wakeup round trip between threads %.1f us\n",
          (hashed - start) / 1000.0, (called - hashed) / 100000.0,
          (woken - called) / (double) PINGPONG_ROUNDS);
}

/* CPU time (user and system) a process has used, in µs, from /proc. */
static double
process_cpu_us (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_name;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (after_name = strrchr (text, ')')) == NULL)
    return 0;
  /* After the name: state is field 3; utime and stime are fields 14 and 15. */
  fields = g_strsplit (after_name + 2, " ", 0);
  if (g_strv_length (fields) < 13)
    return 0;
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) * G_USEC_PER_SEC /
         sysconf (_SC_CLK_TCK);
}

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocess *
start_server (const char  *server,
              const char  *db,
              gboolean     group,
              char       **url)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  GSubprocess *process;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  if (group)
    process = g_subprocess_launcher_spawn (launcher, &error, server, "--db", db, "--listen", "127.0.0.1:0", NULL);
  else
    process = g_subprocess_launcher_spawn (launcher, &error, server, "--db", db, "--listen", "127.0.0.1:0",
                                           "--no-group-commit", NULL);
  if (process == NULL)
    g_error ("%s", error->message);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  if (line == NULL || !g_str_has_prefix (line, "listening on "))
    g_error ("the server did not start");
  *url = g_strdup (line + strlen ("listening on "));
  return process;
}

static SoupMessage *
new_request (Bench      *bench,
             const char *method,
             const char *path,
             const char *token,
             const char *body)
{
  g_autofree char *url = g_strconcat (bench->url, path, NULL);
  g_autofree char *header = g_strconcat ("Bearer ", token, NULL);
  SoupMessage *msg = soup_message_new (method, url);

  /* As OwClient does: keep the connection for writes too (see ow_client_request_async ()).
   * The API never redirects; without the flag libsoup hooks a Location handler into each. */
  soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT | SOUP_MESSAGE_NO_REDIRECT);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", header);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  return msg;
}

typedef struct _Actor Actor;

/* What an actor does with an answer: status 0 when the request failed. */
typedef void (*ReplyFunc) (Actor      *actor,
                           guint       status,
                           const char *body,
                           gsize       length);

struct _Actor
{
  Bench  *bench;
  int     index;       /* kiosk or window number */
  gint64  sent;
  int     phase;       /* window: 0 call, 1 complete */
  guint   timer;       /* a pending pause, removed when the run ends */
  SoupSession  *session;
  SoupMessage  *msg;     /* the request in flight */
  GInputStream *stream;  /* its body, being read */
  GByteArray   *body;
  ReplyFunc     reply;
  int           fd;      /* --clients lean: the actor's kept-alive connection */
  GSource      *fd_source;
  GString      *request;
};

static void actor_read_body (Actor *actor);

static void
actor_reply (Actor    *actor,
             gboolean  complete)
{
  g_autoptr(SoupMessage) msg = g_steal_pointer (&actor->msg);

  actor->reply (actor, complete ? soup_message_get_status (msg) : 0, (const char *) actor->body->data,
                actor->body->len);
}

static gboolean
actor_readable_cb (GObject  *stream,
                   gpointer  data)
{
  actor_read_body (data);
  return G_SOURCE_REMOVE;
}

/* Reads the body as far as it has arrived, without blocking; waits on the stream for the
 * rest.  (soup_session_send_and_read_async () splices into a memory stream through a chain
 * of asynchronous reads, writes and closes: about a sixth more of this client's CPU.) */
static void
actor_read_body (Actor *actor)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      guint8 buffer[4096];
      gssize n;

      n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (actor->stream), buffer,
                                                    sizeof buffer, NULL, &error);
      if (n > 0)
        {
          g_byte_array_append (actor->body, buffer, n);
          continue;
        }
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          GSource *source = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (actor->stream), NULL);

          g_source_set_callback (source, G_SOURCE_FUNC (actor_readable_cb), actor, NULL);
          g_source_attach (source, g_main_context_get_thread_default ());
          g_source_unref (source);
          return;
        }
      /* At the end the connection goes back to the session for the next request. */
      g_input_stream_close (actor->stream, NULL, NULL);
      g_clear_object (&actor->stream);
      actor_reply (actor, n == 0);
      return;
    }
}

static void
actor_sent_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  Actor *actor = data;

  actor->stream = soup_session_send_finish (SOUP_SESSION (source), result, NULL);
  if (actor->stream == NULL)
    actor_reply (actor, FALSE);
  else
    actor_read_body (actor);
}

/* Sends @msg (taking it) through libsoup and hands its answer to @reply. */
static void
soup_actor_send (Actor       *actor,
                 SoupMessage *msg,
                 ReplyFunc    reply)
{
  actor->msg = msg;
  actor->reply = reply;
  if (actor->body == NULL)
    actor->body = g_byte_array_new ();
  g_byte_array_set_size (actor->body, 0);
  actor->sent = g_get_monotonic_time ();
  soup_session_send_async (actor->session, msg, G_PRIORITY_DEFAULT, NULL, actor_sent_cb, actor);
}

/* Appends what @fd has to read now to @into; FALSE at the end of the stream or on an error. */
static gboolean
read_available (int         fd,
                GByteArray *into)
{
  for (;;)
    {
      guint8 buffer[65536];
      gssize n = recv (fd, buffer, sizeof buffer, MSG_DONTWAIT);

      if (n > 0)
        {
          g_byte_array_append (into, buffer, n);
          if ((gsize) n < sizeof buffer)
            return TRUE;
        }
      else if (n < 0 && errno == EINTR)
        continue;
      else
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
}

/* Calls @func whenever @fd has something to read, in @context; the source stays attached. */
static GSource *
watch_fd (int               fd,
          GUnixFDSourceFunc func,
          gpointer          data,
          GMainContext     *context)
{
  GSource *source = g_unix_fd_source_new (fd, G_IO_IN);

  g_source_set_callback (source, G_SOURCE_FUNC (func), data, NULL);
  g_source_attach (source, context);
  return source;
}

/* --clients lean: HTTP/1.1 written and parsed here, on one kept-alive connection per actor
 * whose descriptor source stays attached.  It measures the server with clients that cost a
 * third of libsoup's, boards included: on a machine where both share the cores, libsoup's client took about
 * 40 % of the CPU of every write (docs/SERVER.md).  The answers it understands are the ones
 * this server gives: a status line, headers with a Content-Length, a body. */
static gboolean
lean_readable_cb (int          fd,
                  GIOCondition condition,
                  gpointer     data)
{
  Actor *actor = data;
  const char *text, *end, *length_header;
  gsize header_length, content_length;
  guint status;

  if (actor->body == NULL)
    actor->body = g_byte_array_sized_new (8192);
  if (!read_available (fd, actor->body))
    g_error ("lean client: the server closed connection %d", actor->index);

  text = (const char *) actor->body->data;
  end = g_strstr_len (text, actor->body->len, "\r\n\r\n");
  if (end == NULL)
    return G_SOURCE_CONTINUE;
  header_length = end + 4 - text;
  if (actor->body->len < 12 || strncmp (text, "HTTP/1.1 ", 9) != 0)
    g_error ("lean client: not an HTTP/1.1 answer");
  status = (guint) atoi (text + 9);
  length_header = g_strstr_len (text, header_length, "\r\nContent-Length: ");
  if (length_header == NULL)
    g_error ("lean client: an answer without Content-Length");
  content_length = strtoul (length_header + strlen ("\r\nContent-Length: "), NULL, 10);
  if (actor->body->len < header_length + content_length)
    return G_SOURCE_CONTINUE;
  if (actor->body->len > header_length + content_length)
    g_error ("lean client: more than one answer to one request");
  g_byte_array_set_size (actor->body, 0);
  /* The body is still there: set_size only moved the length. */
  actor->reply (actor, status, text + header_length, content_length);
  return G_SOURCE_CONTINUE;
}

/* A TCP connection to the server at @url (http://127.0.0.1:PORT), without Nagle's delay. */
static int
loopback_connect (const char *url)
{
  struct sockaddr_in address = { .sin_family = AF_INET };
  int one = 1;
  int fd;

  address.sin_port = htons ((guint16) atoi (strrchr (url, ':') + 1));
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &address, sizeof address) != 0)
    g_error ("lean client: connect: %s", g_strerror (errno));
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/* Sends all of @data, or ends the benchmark. */
static void
send_all (int         fd,
          const char *data,
          gsize       length)
{
  gsize done = 0;

  while (done < length)
    {
      gssize n = send (fd, data + done, length - done, MSG_NOSIGNAL);

      if (n < 0 && errno != EINTR)
        g_error ("lean client: send: %s", g_strerror (errno));
      done += MAX (n, 0);
    }
}

static void
lean_connect (Actor *actor)
{
  actor->fd = loopback_connect (actor->bench->url);
  actor->fd_source = watch_fd (actor->fd, lean_readable_cb, actor, g_main_context_get_thread_default ());
  actor->request = g_string_sized_new (512);
}

static void
lean_disconnect (Actor *actor)
{
  if (actor->fd_source == NULL)
    return;
  g_source_destroy (actor->fd_source);
  g_clear_pointer (&actor->fd_source, g_source_unref);
  close (actor->fd);
  g_string_free (actor->request, TRUE);
}

static void
lean_send (Actor      *actor,
           const char *path,
           const char *token,
           const char *body,
           ReplyFunc   reply)
{
  GString *request = actor->request;

  g_string_printf (request, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n", path, token);
  if (body != NULL)
    g_string_append_printf (request, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                            strlen (body), body);
  else
    g_string_append (request, "Content-Length: 0\r\n\r\n");
  actor->reply = reply;
  actor->sent = g_get_monotonic_time ();
  send_all (actor->fd, request->str, request->len);
}

/* POSTs @body (JSON, or nothing) to @path with @token; hands the answer to @reply. */
static void
actor_post (Actor      *actor,
            const char *path,
            const char *token,
            const char *body,
            ReplyFunc   reply)
{
  if (actor->bench->lean)
    lean_send (actor, path, token, body, reply);
  else
    soup_actor_send (actor, new_request (actor->bench, "POST", path, token, body), reply);
}

static void kiosk_next (Actor *actor);
static void window_next (Actor *actor);

/* Client threads each run their own main context: timers go there, not to the global one. */
static guint
add_timeout (guint       ms,
             GSourceFunc callback,
             gpointer    data)
{
  GSource *source = g_timeout_source_new (ms);
  guint id;

  g_source_set_callback (source, callback, data, NULL);
  id = g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);
  return id;
}

/* A clerk's or citizen's pause: uniformly 0.5 to 1.5 times the pace. */
static guint
pace_delay (Bench *bench)
{
  return g_random_int_range (bench->pace_ms / 2, bench->pace_ms * 3 / 2 + 1);
}

static gboolean
kiosk_retry_cb (gpointer data)
{
  ((Actor *) data)->timer = 0;
  kiosk_next (data);
  return G_SOURCE_REMOVE;
}

static void
kiosk_done (Actor      *actor,
            guint       status,
            const char *body,
            gsize       length)
{
  Bench *bench = actor->bench;
  double ms = (g_get_monotonic_time () - actor->sent) / 1000.0;

  bench->in_flight--;
  if (status == 201)
    {
      g_array_append_val (bench->issue_lat, ms);
      bench->ops++;
    }
  if (bench->pace_ms > 0)
    actor->timer = add_timeout (pace_delay (bench), kiosk_retry_cb, actor);
  else
    kiosk_next (actor);
}

static void
kiosk_next (Actor *actor)
{
  Bench *bench = actor->bench;
  g_autofree char *body = NULL;

  if (bench->stopping)
    return;
  body = g_strdup_printf ("{\"service\": \"s%d\"}", g_random_int_range (0, N_SERVICES));
  bench->in_flight++;
  actor_post (actor, "/api/v1/tickets", bench->kiosk_token, body, kiosk_done);
}

static gboolean
window_retry_cb (gpointer data)
{
  ((Actor *) data)->timer = 0;
  window_next (data);
  return G_SOURCE_REMOVE;
}

static void
window_done (Actor      *actor,
             guint       status,
             const char *body,
             gsize       length)
{
  Bench *bench = actor->bench;
  double ms = (g_get_monotonic_time () - actor->sent) / 1000.0;
  gboolean got_ticket = FALSE;

  bench->in_flight--;
  if (status == 200)
    {
      if (actor->phase == 0)
        {
          g_array_append_val (bench->call_lat, ms);
          got_ticket = g_strstr_len (body, length, "\"ticket\":null") == NULL;
        }
      /* A call that finds nobody changes nothing: only writes count. */
      if (actor->phase == 1 || got_ticket)
        bench->ops++;
    }
  if (actor->phase == 0 && got_ticket)
    actor->phase = 1;
  else if (actor->phase == 1)
    actor->phase = 0;
  else
    {
      /* Nobody waiting: a clerk looks again after a pause, not in a busy loop.  In the closed
       * loop too: calls that find nobody are not work, and at 100 ms they were four fifths of
       * the requests and crowded out the writes being measured. */
      actor->timer = add_timeout (bench->pace_ms > 0 ? pace_delay (bench) : (guint) g_random_int_range (500, 1500),
                                  window_retry_cb, actor);
      return;
    }
  if (bench->pace_ms > 0)
    actor->timer = add_timeout (pace_delay (bench), window_retry_cb, actor);
  else
    window_next (actor);
}

static void
window_next (Actor *actor)
{
  Bench *bench = actor->bench;
  g_autofree char *path = NULL;

  if (bench->stopping)
    return;
  path = g_strdup_printf ("/api/v1/windows/w%d/%s", actor->index, actor->phase == 0 ? "call" : "complete");
  bench->in_flight++;
  actor_post (actor, path, bench->window_tokens[actor->index - 1], NULL, window_done);
  if (actor->phase == 0)
    bench->call_sent[actor->index - 1] = actor->sent;
}

/* One event the server sent a board: a call's delay from the request that made it. */
static void
board_event (Bench      *bench,
             const char *text,
             gsize       length)
{
  static const char window_key[] = "\"window\":\"w";
  const char *window;
  gint64 now = g_get_monotonic_time ();
  int w;

  /* Only calls matter here, and only which window called: a scan of the compact JSON the
   * server writes rather than a parse, which for ten boards took about a quarter of this
   * client's CPU.  (A server writing other JSON shows as 0 deliveries.) */
  if (g_strstr_len (text, length, "\"action\":\"call\"") == NULL ||
      (window = g_strstr_len (text, length, window_key)) == NULL)
    return;
  w = atoi (window + strlen (window_key));
  if (w >= 1 && w <= opt_windows && bench->call_sent[w - 1] > 0)
    {
      double ms = (now - bench->call_sent[w - 1]) / 1000.0;

      g_array_append_val (bench->board_delay, ms);
    }
}

static void
board_message_cb (SoupWebsocketConnection *conn,
                  int                      type,
                  GBytes                  *message,
                  Bench                   *bench)
{
  gsize length;
  const char *text = g_bytes_get_data (message, &length);

  board_event (bench, text, length);
}

/* --clients lean: a board reading the event stream's frames itself (RFC 6455; the server's
 * frames are unmasked and its messages unfragmented), for the same reason as the lean
 * windows and kiosks: libsoup's client took 30–45 µs of CPU per write for ten boards. */
typedef struct
{
  Bench      *bench;
  int         fd;
  GSource    *source;
  GByteArray *in;
} LeanBoard;

static void
lean_board_free (gpointer data)
{
  LeanBoard *board = data;

  g_source_destroy (board->source);
  g_source_unref (board->source);
  close (board->fd);
  g_byte_array_unref (board->in);
  g_free (board);
}

/* Handles the whole frames at the start of @board's input; returns the bytes they took. */
static gsize
lean_board_frames (LeanBoard *board)
{
  const guint8 *data = board->in->data;
  gsize at = 0;

  for (;;)
    {
      gsize left = board->in->len - at, header = 2;
      guint64 length;
      guint8 opcode;

      if (left < 2)
        break;
      opcode = data[at] & 0x0f;
      length = data[at + 1] & 0x7f;
      if (data[at + 1] & 0x80)
        g_error ("lean board: a masked frame from the server");
      if (length == 126)
        {
          if (left < 4)
            break;
          header = 4;
          length = (guint64) data[at + 2] << 8 | data[at + 3];
        }
      else if (length == 127)
        {
          if (left < 10)
            break;
          header = 10;
          length = 0;
          for (int i = 0; i < 8; i++)
            length = length << 8 | data[at + 2 + i];
        }
      if (left < header + length)
        break;
      if (opcode == 0x1 && (data[at] & 0x80))
        board_event (board->bench, (const char *) data + at + header, length);
      else if (opcode == 0x9 && length <= 125)
        {
          /* A pong, masked as a client's frames are (with a key of zeros). */
          guint8 pong[2 + 4 + 125] = { 0x8a, 0x80 | (guint8) length };

          memcpy (pong + 6, data + at + header, length);
          send_all (board->fd, (const char *) pong, 6 + length);
        }
      else if (opcode != 0x8)
        g_error ("lean board: a frame of opcode %u", opcode);
      at += header + length;
    }
  return at;
}

static gboolean
lean_board_readable_cb (int          fd,
                        GIOCondition condition,
                        gpointer     data)
{
  LeanBoard *board = data;

  /* At the end of the stream the server has stopped: the run is over. */
  if (!read_available (fd, board->in))
    return G_SOURCE_REMOVE;
  g_byte_array_remove_range (board->in, 0, lean_board_frames (board));
  return G_SOURCE_CONTINUE;
}

static LeanBoard *
lean_board_new (Bench *bench)
{
  LeanBoard *board = g_new0 (LeanBoard, 1);
  g_autofree char *request = NULL;
  const char *end = NULL;

  board->bench = bench;
  board->fd = loopback_connect (bench->url);
  board->in = g_byte_array_new ();
  request = g_strdup_printf ("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n",
                             bench->board_token);
  send_all (board->fd, request, strlen (request));
  while (end == NULL)
    {
      guint8 buffer[4096];
      gssize n = recv (board->fd, buffer, sizeof buffer, 0);

      if (n <= 0)
        g_error ("lean board: no answer to the upgrade");
      g_byte_array_append (board->in, buffer, n);
      end = g_strstr_len ((const char *) board->in->data, board->in->len, "\r\n\r\n");
    }
  if (strncmp ((const char *) board->in->data, "HTTP/1.1 101 ", 13) != 0)
    g_error ("lean board: the upgrade was refused");
  g_byte_array_remove_range (board->in, 0, (const guint8 *) end + 4 - board->in->data);
  g_byte_array_remove_range (board->in, 0, lean_board_frames (board));
  board->source = watch_fd (board->fd, lean_board_readable_cb, board, NULL);
  return board;
}

static void
board_connected_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      data)
{
  Bench *bench = data;
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);

  if (conn == NULL)
    g_error ("board: %s", error->message);
  g_signal_connect (conn, "message", G_CALLBACK (board_message_cb), bench);
  g_ptr_array_add (bench->boards, conn);
}

static gboolean
stop_cb (gpointer data)
{
  ((Bench *) data)->stopping = TRUE;
  return G_SOURCE_REMOVE;
}

/* One client thread: its own main context and HTTP session, a share of the windows and
 * kiosks, its own measurements.  One thread with 230 connections could not send more than
 * about 220 requests a second and measured itself, not the server. */
typedef struct
{
  Bench   bench;
  Actor  *kiosks;
  int     n_kiosks;
  Actor  *windows;
  int     n_windows;
  gint    done;
} Worker;

/* Without HTTP authentication and content decoding, which these clients never use: the two
 * features hook five signal handlers into every message, connected and disconnected again. */
static SoupSession *
actor_session_new (void)
{
  SoupSession *session = soup_session_new_with_options ("timeout", 60, NULL);

  soup_session_remove_feature_by_type (session, SOUP_TYPE_AUTH_MANAGER);
  soup_session_remove_feature_by_type (session, SOUP_TYPE_CONTENT_DECODER);
  return session;
}

static gpointer
worker_main (gpointer data)
{
  Worker *worker = data;
  Bench *bench = &worker->bench;
  GMainContext *context = g_main_context_new ();
  GSource *stop;

  g_main_context_push_thread_default (context);
  /* One session per actor, as each counter and kiosk is its own machine.  A shared session
   * checks every idle connection with a recv () before each request, which cost this client
   * more CPU than the server spent answering. */
  for (int k = 0; k < worker->n_kiosks; k++)
    if (bench->lean)
      lean_connect (&worker->kiosks[k]);
    else
      worker->kiosks[k].session = actor_session_new ();
  for (int w = 0; w < worker->n_windows; w++)
    if (bench->lean)
      lean_connect (&worker->windows[w]);
    else
      worker->windows[w].session = actor_session_new ();
  stop = g_timeout_source_new (opt_seconds * 1000);
  g_source_set_callback (stop, stop_cb, bench, NULL);
  g_source_attach (stop, context);
  g_source_unref (stop);

  /* At a hall's pace people start at random moments within the first pace, not all in the
   * same millisecond; the closed loop starts everyone at once. */
  for (int k = 0; k < worker->n_kiosks; k++)
    if (bench->pace_ms > 0)
      worker->kiosks[k].timer = add_timeout (g_random_int_range (0, bench->pace_ms), kiosk_retry_cb,
                                             &worker->kiosks[k]);
    else
      kiosk_next (&worker->kiosks[k]);
  for (int w = 0; w < worker->n_windows; w++)
    if (bench->pace_ms > 0)
      worker->windows[w].timer = add_timeout (g_random_int_range (0, bench->pace_ms), window_retry_cb,
                                              &worker->windows[w]);
    else
      window_next (&worker->windows[w]);
  while (!bench->stopping || bench->in_flight > 0)
    g_main_context_iteration (context, TRUE);

  for (int k = 0; k < worker->n_kiosks; k++)
    if (worker->kiosks[k].timer != 0)
      g_source_destroy (g_main_context_find_source_by_id (context, worker->kiosks[k].timer));
  for (int w = 0; w < worker->n_windows; w++)
    if (worker->windows[w].timer != 0)
      g_source_destroy (g_main_context_find_source_by_id (context, worker->windows[w].timer));
  for (int k = 0; k < worker->n_kiosks; k++)
    {
      lean_disconnect (&worker->kiosks[k]);
      g_clear_object (&worker->kiosks[k].session);
      g_clear_pointer (&worker->kiosks[k].body, g_byte_array_unref);
    }
  for (int w = 0; w < worker->n_windows; w++)
    {
      lean_disconnect (&worker->windows[w]);
      g_clear_object (&worker->windows[w].session);
      g_clear_pointer (&worker->windows[w].body, g_byte_array_unref);
    }
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  g_atomic_int_set (&worker->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

static void
run_load (const char *dir,
          const char *server,
          const char *cli,
          gboolean    group,
          int         pace_ms,
          gboolean    lean,
          double      raw_rate)
{
  g_autofree char *db = g_strdup_printf ("%s/hall-%s-%d%s.db", dir, group ? "group" : "single", pace_ms,
                                         lean ? "-lean" : "");
  g_autofree char *catalog = write_catalog (dir);
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *kiosk_json = NULL;
  g_autofree char *board_json = NULL;
  Bench bench = { 0 };
  Worker *workers;
  GThread *threads[N_WORKERS];
  gint64 start, elapsed;
  double rate, server_cpu, client_cpu;
  const char *phase = pace_ms > 0 ? "paced (latency)"
                      : lean ? "closed loop (throughput), lean clients"
                      : "closed loop (throughput), libsoup clients";

  g_free (run_cli (cli, db, NULL, "init", NULL));
  g_free (run_cli (cli, db, NULL, "catalog", "import", catalog, NULL));
  g_free (run_cli (cli, db, "1234\n", "staff", "add", "bench", "--name", "Bench", "--role", "counter", NULL));
  kiosk_json = run_cli (cli, db, NULL, "--json", "device", "add", "kiosk", "--role", "kiosk", NULL);
  board_json = run_cli (cli, db, NULL, "--json", "device", "add", "board", "--role", "board", NULL);
  bench.kiosk_token = token_of (kiosk_json);
  bench.board_token = token_of (board_json);

  process = start_server (server, db, group, &bench.url);
  bench.session = soup_session_new_with_options ("max-conns", 2000, "max-conns-per-host", 2000, "timeout", 60, NULL);
  bench.issue_lat = g_array_new (FALSE, FALSE, sizeof (double));
  bench.call_lat = g_array_new (FALSE, FALSE, sizeof (double));
  bench.board_delay = g_array_new (FALSE, FALSE, sizeof (double));
  bench.call_sent = g_new0 (gint64, opt_windows);
  bench.window_tokens = g_new0 (char *, opt_windows + 1);
  bench.boards = g_ptr_array_new_with_free_func (lean ? lean_board_free : g_object_unref);
  bench.pace_ms = pace_ms;
  bench.lean = lean;

  /* One staff member signed in at every window (each sign-in checks the PIN with argon2id). */
  for (int w = 1; w <= opt_windows; w++)
    {
      g_autofree char *body = g_strdup_printf ("{\"staff\": \"bench\", \"pin\": \"1234\", \"window\": \"w%d\"}", w);
      g_autofree char *url = g_strconcat (bench.url, "/api/v1/login", NULL);
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      g_autoptr(GBytes) reply = NULL;
      g_autofree char *text = NULL;

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
      reply = soup_session_send_and_read (bench.session, msg, NULL, NULL);
      if (reply == NULL || soup_message_get_status (msg) != 200)
        g_error ("login at w%d failed", w);
      text = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
      bench.window_tokens[w - 1] = token_of (text);
    }

  for (int b = 0; lean && b < opt_boards; b++)
    g_ptr_array_add (bench.boards, lean_board_new (&bench));
  for (int b = 0; !lean && b < opt_boards; b++)
    {
      g_autofree char *url = g_strdup_printf ("ws%s/api/v1/events", bench.url + 4);
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
      g_autofree char *header = g_strconcat ("Bearer ", bench.board_token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", header);
      soup_session_websocket_connect_async (bench.session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                            board_connected_cb, &bench);
    }
  while (bench.boards->len < (guint) opt_boards)
    g_main_context_iteration (NULL, TRUE);

  printf ("%s commit, %s: %d windows signed in, %d boards connected; loading for %d s\n",
          group ? "group" : "single", phase, opt_windows, opt_boards, opt_seconds);
  fflush (stdout);
  workers = g_new0 (Worker, N_WORKERS);
  for (int t = 0; t < N_WORKERS; t++)
    {
      Bench *b = &workers[t].bench;

      *b = bench;   /* the shared settings: url, tokens, call_sent, pace */
      b->session = NULL;
      b->issue_lat = g_array_new (FALSE, FALSE, sizeof (double));
      b->call_lat = g_array_new (FALSE, FALSE, sizeof (double));
      b->ops = 0;
      b->in_flight = 0;
      b->stopping = FALSE;
      workers[t].kiosks = g_new0 (Actor, opt_kiosks / N_WORKERS + 1);
      workers[t].windows = g_new0 (Actor, opt_windows / N_WORKERS + 1);
    }
  for (int k = 0; k < opt_kiosks; k++)
    {
      Worker *worker = &workers[k % N_WORKERS];

      worker->kiosks[worker->n_kiosks++] = (Actor) { .bench = &worker->bench, .index = k + 1 };
    }
  for (int w = 0; w < opt_windows; w++)
    {
      Worker *worker = &workers[w % N_WORKERS];

      worker->windows[worker->n_windows++] = (Actor) { .bench = &worker->bench, .index = w + 1 };
    }

  start = g_get_monotonic_time ();
  server_cpu = process_cpu_us (g_subprocess_get_identifier (process));
  client_cpu = process_cpu_us ("self");
  for (int t = 0; t < N_WORKERS; t++)
    threads[t] = g_thread_new ("client", worker_main, &workers[t]);
  /* The boards listen here, on the main context, while the client threads load the server. */
  for (int t = 0; t < N_WORKERS; t++)
    {
      /* Block, rather than poll: a polling loop here took a whole core from the server. */
      while (!g_atomic_int_get (&workers[t].done))
        g_main_context_iteration (NULL, TRUE);
      g_thread_join (threads[t]);
      g_array_append_vals (bench.issue_lat, workers[t].bench.issue_lat->data, workers[t].bench.issue_lat->len);
      g_array_append_vals (bench.call_lat, workers[t].bench.call_lat->data, workers[t].bench.call_lat->len);
      bench.ops += workers[t].bench.ops;
      g_array_unref (workers[t].bench.issue_lat);
      g_array_unref (workers[t].bench.call_lat);
      g_free (workers[t].kiosks);
      g_free (workers[t].windows);
    }
  g_free (workers);
  elapsed = g_get_monotonic_time () - start;
  server_cpu = process_cpu_us (g_subprocess_get_identifier (process)) - server_cpu;
  client_cpu = process_cpu_us ("self") - client_cpu;
  /* Let the last events reach the boards. */
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);

  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait (process, NULL, NULL);
  /* The disk's rate drifts from minute to minute: a closed loop is compared with the mean of
   * its rate just before and just after. */
  if (pace_ms == 0)
    {
      double raw_after = raw_commit_rate (dir);

      printf ("\nraw durable commit rate: %.0f commits/s before this closed loop, %.0f after\n",
              raw_rate, raw_after);
      raw_rate = (raw_rate + raw_after) / 2;
    }

  rate = bench.ops / (elapsed / (double) G_USEC_PER_SEC);
  printf ("\n%s commit, %s: %d windows, %d kiosks, %d boards, %.1f s\n", group ? "group" : "single",
          pace_ms > 0 ? "each acting about once a pace" : phase,
          opt_windows, opt_kiosks, opt_boards, elapsed / (double) G_USEC_PER_SEC);
  if (pace_ms > 0)
    printf ("  pace              %d ms per actor (offered about %.0f requests/s)\n", pace_ms,
            (opt_windows + opt_kiosks) * 1000.0 / pace_ms);
  printf ("  issue latency     p50 %7.2f ms   p99 %7.2f ms   (%u)\n", pct (bench.issue_lat, 0.5),
          pct (bench.issue_lat, 0.99), bench.issue_lat->len);
  printf ("  call latency      p50 %7.2f ms   p99 %7.2f ms   (%u)\n", pct (bench.call_lat, 0.5),
          pct (bench.call_lat, 0.99), bench.call_lat->len);
  printf ("  call -> board     p50 %7.2f ms   p99 %7.2f ms   (%u deliveries)\n", pct (bench.board_delay, 0.5),
          pct (bench.board_delay, 0.99), bench.board_delay->len);
  printf ("  throughput        %.0f write operations/s = %.0f%% of the raw durable commit rate%s\n",
          rate, 100 * rate / raw_rate, pace_ms == 0 ? " (their mean)" : "");
  /* On a small machine the two share the cores: their sum per write bounds the throughput.
   * (At a hall's pace most requests are calls that find nobody: no figure per write.) */
  if (pace_ms == 0 && bench.ops > 0)
    printf ("  CPU per write     server %.0f us, this load generator %.0f us (%u processors)\n",
            server_cpu / bench.ops, client_cpu / bench.ops, g_get_num_processors ());
  fflush (stdout);

  for (guint b = 0; !lean && b < bench.boards->len; b++)
    {
      SoupWebsocketConnection *conn = g_ptr_array_index (bench.boards, b);

      g_signal_handlers_disconnect_by_data (conn, &bench);
      soup_websocket_connection_close (conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    }
  g_ptr_array_unref (bench.boards);
  g_array_unref (bench.issue_lat);
  g_array_unref (bench.call_lat);
  g_array_unref (bench.board_delay);
  g_strfreev (bench.window_tokens);
  g_free (bench.call_sent);
  g_free (bench.kiosk_token);
  g_free (bench.board_token);
  g_free (bench.url);
  g_clear_object (&bench.session);
}

int
main (int    argc,
      char **argv)
{
  GOptionEntry entries[] = {
    { "windows", 0, 0, G_OPTION_ARG_INT, &opt_windows, "Counter windows (200)", "N" },
    { "kiosks", 0, 0, G_OPTION_ARG_INT, &opt_kiosks, "Kiosks (20)", "M" },
    { "boards", 0, 0, G_OPTION_ARG_INT, &opt_boards, "Boards (10)", "B" },
    { "seconds", 0, 0, G_OPTION_ARG_INT, &opt_seconds, "Seconds of load per run (5)", "S" },
    { "pace-ms", 0, 0, G_OPTION_ARG_INT, &opt_pace_ms, "Think time of the latency phase (1000)", "MS" },
    { "only-group", 0, 0, G_OPTION_ARG_NONE, &opt_only_group, "Skip the runs without group commit", NULL },
    { "closed-only", 0, 0, G_OPTION_ARG_NONE, &opt_closed_only, "Skip the paced (latency) phases", NULL },
    { "clients", 0, 0, G_OPTION_ARG_STRING, &opt_clients,
      "Closed loop's windows and kiosks: lean (HTTP/1.1 written here), libsoup, or both (both)", "KIND" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- load the hall server on loopback");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  const char *server = g_getenv ("ONEWINDOW_SERVER");
  const char *cli = g_getenv ("ONEWINDOW_CLI");
  double raw;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    g_error ("%s", error->message);
  opt_windows = CLAMP (opt_windows, 1, 1000);
  opt_kiosks = CLAMP (opt_kiosks, 0, 200);
  opt_boards = CLAMP (opt_boards, 0, 200);
  opt_seconds = CLAMP (opt_seconds, 1, 120);
  if (opt_clients == NULL)
    opt_clients = g_strdup ("both");
  if (!g_strv_contains ((const char *[]) { "lean", "libsoup", "both", NULL }, opt_clients))
    g_error ("--clients: '%s' is not lean, libsoup or both", opt_clients);
  if (server == NULL)
    server = BENCH_SERVER;
  if (cli == NULL)
    cli = BENCH_CLI;
  signal (SIGPIPE, SIG_IGN);

  dir = g_dir_make_tmp ("ow-bench-server-XXXXXX", &error);
  if (dir == NULL)
    g_error ("%s", error->message);
  print_machine_reference ();
  raw = raw_commit_rate (dir);
  printf ("raw durable commit rate (WAL, synchronous=FULL, %s): %.0f commits/s\n", dir, raw);
  fflush (stdout);
  opt_pace_ms = CLAMP (opt_pace_ms, 10, 60000);
  for (int group = TRUE; group >= FALSE; group--)
    {
      if (!group && opt_only_group)
        break;
      /* Latency as the hall's apps see it: through libsoup, as OwClient sends. */
      if (!opt_closed_only)
        run_load (dir, server, cli, group, opt_pace_ms, FALSE, raw);
      for (int lean = TRUE; lean >= FALSE; lean--)
        if (g_strcmp0 (opt_clients, "both") == 0 || g_strcmp0 (opt_clients, lean ? "lean" : "libsoup") == 0)
          run_load (dir, server, cli, group, 0, lean, raw_commit_rate (dir));
    }
  printf ("\n(databases left in %s)\n", dir);
  return 0;
}
