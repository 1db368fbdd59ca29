/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-server.h"

#include "ow-server-private.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>

/* The hall server: one process owns the hall's database and answers kiosks, counters, boards
 * and the audit app over HTTP/JSON, plus a WebSocket that streams the audit log.
 *
 * HTTP runs on several front threads, each with its own main context, libsoup server and
 * read connection; the kernel spreads the connections over them (SO_REUSEPORT).  With one
 * main loop, GLib's polling of 230 connections' sources took most of a core.  Reads run in
 * the request handler.  Writes from every front go to one writer thread, which runs what
 * gathered while it was busy together: one outer transaction, each operation in its own
 * savepoint (so one failing operation leaves the others alone), one durable COMMIT, and only
 * then the responses and the events, each front answering its own requests.  Under load
 * many writes share one fsync (group commit); with one request in flight it is one write,
 * one commit.  An acknowledged operation is always on disk. */

#define BODY_MAX (64 * 1024)
#define LISTEN_BACKLOG 1024
#define OP_TIMES_KEPT 65536
#define JSON_DEPTH_MAX 32
#define BATCH_MAX 512
#define FEED_CHUNK 256
#define FEED_KEPT 1024
#define AUDIT_LIMIT_MAX 1000
#define KEEPALIVE_DEFAULT_S 20
#define POLL_INTERVAL_MS 1000
#define MISSING_MAX 64
#define FRONTS_DEFAULT_MAX 4
#define FRONTS_MAX 16
#define TEXT_MAX 500
#define REPORTS_WAITING_MAX 8
#define EVENTS_INCOMING_MAX 4096
#define CATCHUP_QUEUED_MAX (256 * 1024)

typedef enum
{
  ROLE_PUBLIC     = 1 << 0,   /* no token needed */
  ROLE_KIOSK      = 1 << 1,
  ROLE_BOARD      = 1 << 2,
  ROLE_COUNTER    = 1 << 3,
  ROLE_SUPERVISOR = 1 << 4,
  ROLE_ADMIN      = 1 << 5,
} Role;

#define ROLE_STAFF (ROLE_COUNTER | ROLE_SUPERVISOR | ROLE_ADMIN)
#define ROLE_ANY (ROLE_KIOSK | ROLE_BOARD | ROLE_STAFF)

typedef enum
{
  FILTER_PUBLIC,   /* kiosks and boards: no people, no free text */
  FILTER_STAFF,    /* counter staff: everything but terminals */
  FILTER_FULL,     /* supervisors and administrators */
  N_FILTERS
} Filter;

typedef struct _Op Op;
typedef struct _Front Front;
typedef JsonNode *(*OpFunc) (OwServer  *self,
                             Op        *op,
                             guint     *status,
                             GError   **error);

/* A queued write and, after the batch, its outcome. */
struct _Op
{
  Front             *front;      /* answers on its thread */
  SoupServerMessage *msg;
  gulong             disconnected_id;
  gboolean           gone;
  OpFunc             func;
  OwAuthIdentity    *identity;
  char              *actor;
  char              *terminal;
  char              *bearer;     /* a token the writer is to check (see op_defer_authorization ()) */
  Role               allowed;
  gboolean           own_window; /* and only at op->window, where the staff member signed in */

  char              *window;
  OwWindowAction     action;
  char              *reason;
  char              *to_step;
  char              *to_window;
  char             **missing;
  char              *service;
  gboolean           green;
  char              *green_category;
  char              *token;
  int                level;
  char              *comment;
  GBytes            *body;
  char              *redirect;   /* HTML form: where to send the browser afterwards */
  gint64             rating;     /* follow-up: the rating, the state asked for, the note, */
  char              *state;      /* and the staff member who may only appeal their own */
  char              *note;
  char              *owner;
  char              *deadline;   /* complete: when promised documents are due (容缺受理) */

  guint              status;
  GBytes            *result;     /* the JSON answer, rendered by the writer */
  GError            *error;
  gint64             queued_at;
};

/* An event of the log as each kind of subscriber is shown it, rendered once by the writer
 * for all fronts. */
typedef struct
{
  gint64  seq;
  GBytes *text[N_FILTERS];   /* NULL: nobody of that kind was listening */
} FeedEntry;

typedef struct
{
  Front       *front;
  OwWebSocket *ws;
  Filter       filter;
  gint64       next_seq;
} Subscriber;

/* One HTTP thread.  Everything here is touched by its thread only, except what the
 * server's lock guards. */
struct _Front
{
  OwServer     *server;
  GMainContext *context;
  GMainLoop    *loop;
  GThread      *thread;
  SoupServer   *soup;
  GSocket      *socket;         /* listening, shared port */
  OwDb         *db;             /* reads, and staff changes */
  OwHall       *hall;

  GPtrArray    *subscribers;    /* Subscriber * */
  gint64        broadcast_seq;  /* the newest event handed to live subscribers */
  guint         outside_seen;   /* the server's outside_writes when last broadcast */
  GSource      *catchup_source;
  GSource      *poll_source;
  GHashTable   *connections;    /* GSocket * -> Peer *: requests in progress on it */

  /* Guarded by the server's lock. */
  GQueue        answered;       /* Op * committed (or failed), to answer here */
  gboolean      wake_pending;   /* a front_wake_cb is on its way */

  /* Start-up handshake with ow_server_start (). */
  gboolean      started;
  GError       *start_error;
};

/* The latest OP_TIMES_KEPT durations of a kind, for the figures logged at exit: a server
 * runs for months. */
typedef struct
{
  GArray  *ms;       /* double */
  guint64  count;
} TimeRing;

struct _OwServer
{
  GObject      parent_instance;

  OwClock     *clock;
  OwDb        *writer_db;      /* the writer thread's connection: queued operations */
  OwHall      *writer_hall;
  OwDb        *login_db;       /* the sign-in thread's connection */
  OwHall      *login_hall;
  OwDb        *report_db;      /* the report thread's connection: verify, statistics */
  OwHall      *report_hall;
  GThreadPool *reports;        /* one report at a time */
  OwCheckpointer *checkpointer; /* keeps WAL checkpoints out of the writers' commits */
  GThreadPool *logins;         /* one sign-in at a time */
  char        *db_path;
  char        *listen;
  char        *url;
  GTlsCertificate *certificate;
  gboolean     group_commit;
  guint        keepalive_s;
  guint        n_fronts;
  GPtrArray   *fronts;         /* Front * */
  GQuark       timing;         /* on a POST: its WriteTiming */

  GMutex       lock;           /* guards what follows, and the fronts' answered queues */
  GCond        wake;           /* the writer: work, or stop */
  GCond        idle;           /* the writer has nothing queued or running */
  GThread     *writer;
  gboolean     writer_busy;
  gboolean     writer_waiting; /* in g_cond_wait (): only then needs a signal */
  gboolean     writer_stopping;
  GQueue       pending;        /* Op * */
  TimeRing     committed;      /* ms from queueing a write to its commit */
  TimeRing     answered;       /* ms from queueing a write to handing libsoup its answer */
  TimeRing     read;           /* ms from a write's headers to its queueing (body, checks) */
  TimeRing     whole;          /* ms from a write's headers to its answer written */
  guint64      batches;
  guint64      batched_ops;

  guint        outside_writes; /* atomic: commits of events outside the writer, counted */

  /* The newest events, rendered by the writer after each commit (see feed_render ()). */
  GMutex       feed_lock;      /* guards the two members after it */
  FeedEntry    feed[FEED_KEPT]; /* by seq % FEED_KEPT */
  gint64       feed_seq;       /* the newest event in feed */
  gint64       feed_read_seq;  /* the writer's: the newest event it has read */
  gint         listening[N_FILTERS]; /* atomic: subscribers of each kind */
};

G_DEFINE_FINAL_TYPE (OwServer, ow_server, G_TYPE_OBJECT)


static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static void
time_ring_add (TimeRing *ring,
               double    ms)
{
  if (ring->ms == NULL)
    ring->ms = g_array_new (FALSE, FALSE, sizeof (double));
  if (ring->ms->len < OP_TIMES_KEPT)
    g_array_append_val (ring->ms, ms);
  else
    g_array_index (ring->ms, double, ring->count % OP_TIMES_KEPT) = ms;
  ring->count++;
}

static void
time_ring_report (TimeRing   *ring,
                  const char *what)
{
  if (ring->ms == NULL || ring->ms->len == 0)
    return;
  g_array_sort (ring->ms, compare_doubles);
  g_message ("%s: p50 %.2f ms, p99 %.2f ms", what,
             g_array_index (ring->ms, double, ring->ms->len / 2),
             g_array_index (ring->ms, double, ring->ms->len * 99 / 100));
  g_array_set_size (ring->ms, 0);
}
static void broadcast (Front    *front,
                       gboolean  check_log);
static void feed_render (OwServer *self);

/* Responses */

/* A POST's times, for the latencies logged at exit. */
typedef struct
{
  gint64   headers_at;  /* when its headers were read */
  gboolean queued;      /* handed to the writer */
} WriteTiming;

/* libsoup writes a response's headers and its body with two system calls, which went out as
 * two TCP segments (the sockets have TCP_NODELAY) and woke the client twice.  Corked until
 * the request is finished (request_finished_cb ()), they leave as one. */
static void
cork_response (SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  if (socket != NULL)
    g_socket_set_option (socket, IPPROTO_TCP, TCP_CORK, 1, NULL);
}

static GBytes *
json_to_bytes (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  gsize length = 0;
  char *data;

  json_generator_set_root (generator, node);
  data = json_generator_to_data (generator, &length);
  return g_bytes_new_take (data, length);
}

static void
respond_bytes (SoupServerMessage *msg,
               guint              status,
               GBytes            *json)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control", "no-store");
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Content-Type",
                                "application/json; charset=utf-8");
  soup_message_body_truncate (soup_server_message_get_response_body (msg));
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), json);
  cork_response (msg);
}

static void
respond_json (SoupServerMessage *msg,
              guint              status,
              JsonNode          *node)
{
  g_autoptr(GBytes) json = json_to_bytes (node);

  respond_bytes (msg, status, json);
}

static void
respond_object (SoupServerMessage *msg,
                guint              status,
                JsonObject        *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  respond_json (msg, status, node);
}

static void
respond_error (SoupServerMessage *msg,
               guint              status,
               const char        *code,
               const char        *message)
{
  g_autoptr(JsonObject) outer = json_object_new ();
  JsonObject *inner = json_object_new ();

  json_object_set_string_member (inner, "code", code);
  json_object_set_string_member (inner, "message", message);
  json_object_set_object_member (outer, "error", inner);
  respond_object (msg, status, outer);
}

static void G_GNUC_PRINTF (4, 5)
respond_errorf (SoupServerMessage *msg,
                guint              status,
                const char        *code,
                const char        *format,
                ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  respond_error (msg, status, code, message);
}

static void
respond_html (SoupServerMessage *msg,
              guint              status,
              char              *html)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control", "no-store");
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_TAKE, html, strlen (html));
  cork_response (msg);
}

/* A signed-in user or device whose role, or window, does not allow the request. */
#define FORBIDDEN_ERROR (forbidden_error_quark ())
static G_DEFINE_QUARK (ow-server-forbidden-error-quark, forbidden_error)

/* Maps a core error to an HTTP status and the error codes of the CLI contract. */
static void
error_to_http (const GError  *error,
               guint         *status,
               const char   **code)
{
  static const struct { const char *code; guint status; } hall[] = {
    [OW_HALL_ERROR_FAILED] = { "failed", 500 },
    [OW_HALL_ERROR_NOT_FOUND] = { "not_found", 404 },
    [OW_HALL_ERROR_INVALID] = { "invalid", 400 },
    [OW_HALL_ERROR_CLOSED] = { "closed", 409 },
    [OW_HALL_ERROR_CAP_REACHED] = { "cap_reached", 409 },
    [OW_HALL_ERROR_PAUSED] = { "paused", 409 },
    [OW_HALL_ERROR_WINDOW_BUSY] = { "window_busy", 409 },
    [OW_HALL_ERROR_NO_TICKET] = { "no_ticket", 409 },
    [OW_HALL_ERROR_WRONG_STATE] = { "wrong_state", 409 },
    [OW_HALL_ERROR_AUTH] = { "auth", 401 },
    [OW_HALL_ERROR_LOCKED] = { "locked", 423 },
    [OW_HALL_ERROR_NOT_ALLOWED] = { "not_allowed", 422 },
    [OW_HALL_ERROR_EXISTS] = { "exists", 409 },
  };

  if (error->domain == OW_HALL_ERROR && error->code >= 0 && error->code < (int) G_N_ELEMENTS (hall))
    {
      *status = hall[error->code].status;
      *code = hall[error->code].code;
    }
  else if (error->domain == OW_AUTH_ERROR)
    {
      *status = 401;
      *code = "unauthorized";
    }
  else if (error->domain == FORBIDDEN_ERROR)
    {
      *status = 403;
      *code = "forbidden";
    }
  else if (error->domain == OW_CATALOG_ERROR)
    {
      *status = 400;
      *code = "invalid_catalog";
    }
  else if (error->domain == OW_DB_ERROR && error->code == OW_DB_ERROR_BUSY)
    {
      *status = 503;
      *code = "database_busy";
    }
  else if (error->domain == OW_DB_ERROR)
    {
      *status = 500;
      *code = "database";
    }
  else if (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_INVALID_ARGUMENT)
    {
      *status = 400;
      *code = "invalid";
    }
  else
    {
      *status = 500;
      *code = "failed";
    }
}

static void
respond_gerror (SoupServerMessage *msg,
                const GError      *error)
{
  const char *code;
  guint status;

  error_to_http (error, &status, &code);
  if (status >= 500)
    g_warning ("%s %s: %s", soup_server_message_get_method (msg),
               g_uri_get_path (soup_server_message_get_uri (msg)), error->message);
  respond_error (msg, status, code, error->message);
}

/* Requests */

static char *
request_terminal (SoupServerMessage *msg)
{
  const char *host = soup_server_message_get_remote_host (msg);

  return g_strdup (host != NULL ? host : "unknown");
}

static Role
role_of (const OwAuthIdentity *identity)
{
  if (identity == NULL)
    return ROLE_PUBLIC;
  if (g_strcmp0 (identity->role, "kiosk") == 0)
    return ROLE_KIOSK;
  if (g_strcmp0 (identity->role, "board") == 0)
    return ROLE_BOARD;
  if (g_strcmp0 (identity->role, "counter") == 0)
    return ROLE_COUNTER;
  if (g_strcmp0 (identity->role, "supervisor") == 0)
    return ROLE_SUPERVISOR;
  if (g_strcmp0 (identity->role, "admin") == 0)
    return ROLE_ADMIN;
  return 0;
}

/* The token of the Authorization header, or NULL. */
static const char *
bearer_token (SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");

  if (header == NULL || g_ascii_strncasecmp (header, "Bearer ", 7) != 0 || header[7] == '\0')
    return NULL;
  return header + 7;
}

static void
respond_no_token (SoupServerMessage *msg)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "WWW-Authenticate", "Bearer");
  respond_error (msg, 401, "unauthorized", _("this needs a token: Authorization: Bearer TOKEN"));
}

/* A refusal of a token or of what its holder may do; an unknown or ended token also tells the
 * client so in WWW-Authenticate. */
static void
respond_refusal (SoupServerMessage *msg,
                 const GError      *error)
{
  if (error->domain == OW_AUTH_ERROR)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "WWW-Authenticate", "Bearer error=\"invalid_token\"");
  respond_gerror (msg, error);
}

/* Looks up @token and checks its holder's role against @allowed and, given @window, that a
 * staff member signed in there. */
static OwAuthIdentity *
check_token (OwHall      *hall,
             const char  *token,
             Role         allowed,
             const char  *window,
             GError     **error)
{
  g_autoptr(OwAuthIdentity) identity = ow_auth_lookup (hall, token, error);

  if (identity == NULL)
    return NULL;
  if ((role_of (identity) & allowed) == 0)
    {
      g_set_error (error, FORBIDDEN_ERROR, 0, _("a %s may not do this"), identity->role);
      return NULL;
    }
  if (window != NULL && g_strcmp0 (identity->window, window) != 0)
    {
      if (identity->window != NULL)
        g_set_error (error, FORBIDDEN_ERROR, 0, _("you are signed in at window %s, not %s"),
                     identity->window, window);
      else
        g_set_error (error, FORBIDDEN_ERROR, 0, _("sign in at window %s to act there"), window);
      return NULL;
    }
  return g_steal_pointer (&identity);
}

/* Checks the bearer token against @allowed.  Returns FALSE, with the response set, when the
 * request may not go on.  A public endpoint ignores any token. */
static gboolean
authorize (Front              *front,
           SoupServerMessage  *msg,
           Role                allowed,
           OwAuthIdentity    **out_identity)
{
  g_autoptr(GError) error = NULL;
  const char *token;

  *out_identity = NULL;
  if (allowed & ROLE_PUBLIC)
    return TRUE;
  token = bearer_token (msg);
  if (token == NULL)
    {
      respond_no_token (msg);
      return FALSE;
    }
  *out_identity = check_token (front->hall, token, allowed, NULL, &error);
  if (*out_identity == NULL)
    {
      respond_refusal (msg, error);
      return FALSE;
    }
  return TRUE;
}

/* json-glib parses recursively: refuse deep nesting before it can exhaust the stack. */
static gboolean
json_depth_ok (const char *data,
               gsize       length)
{
  gboolean in_string = FALSE;
  int depth = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > JSON_DEPTH_MAX)
            return FALSE;
        }
      else if (c == ']' || c == '}')
        depth--;
    }
  return TRUE;
}

/* The request body as one JSON object.  An empty body counts as {}. */
static JsonObject *
parse_body (SoupServerMessage *msg,
            gboolean           required)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  const char *data;
  gsize length;
  JsonNode *root;

  data = g_bytes_get_data (bytes, &length);
  if (length > BODY_MAX)
    {
      respond_errorf (msg, 413, "too_large", _("a request body is at most %d bytes"), BODY_MAX);
      return NULL;
    }
  if (length == 0 && !required)
    return json_object_new ();
  if (!g_utf8_validate_len (data, length, NULL))
    {
      respond_error (msg, 400, "bad_json", _("the body is not valid UTF-8"));
      return NULL;
    }
  if (!json_depth_ok (data, length))
    {
      respond_errorf (msg, 400, "bad_json", _("the body nests deeper than %d levels"), JSON_DEPTH_MAX);
      return NULL;
    }
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, length, &error))
    {
      respond_errorf (msg, 400, "bad_json", _("the body is not JSON: %s"), error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      respond_error (msg, 400, "bad_json", _("the body must be a JSON object"));
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

/* Typed members: each returns FALSE with a 400 response when the member has the wrong type. */
static gboolean
member_string (SoupServerMessage  *msg,
               JsonObject         *object,
               const char         *name,
               gboolean            required,
               gsize               max_chars,
               const char        **out)
{
  JsonNode *node = json_object_get_member (object, name);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (!required)
        return TRUE;
      respond_errorf (msg, 400, "invalid", _("'%s' is missing"), name);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      respond_errorf (msg, 400, "invalid", _("'%s' must be a string"), name);
      return FALSE;
    }
  *out = json_node_get_string (node);
  if (g_utf8_strlen (*out, -1) > (glong) max_chars)
    {
      respond_errorf (msg, 400, "invalid", _("'%s' is longer than %lu characters"), name, (unsigned long) max_chars);
      return FALSE;
    }
  if (required && **out == '\0')
    {
      respond_errorf (msg, 400, "invalid", _("'%s' is empty"), name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
member_boolean (SoupServerMessage *msg,
                JsonObject        *object,
                const char        *name,
                gboolean          *out)
{
  JsonNode *node = json_object_get_member (object, name);

  *out = FALSE;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      respond_errorf (msg, 400, "invalid", _("'%s' must be true or false"), name);
      return FALSE;
    }
  *out = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
member_int (SoupServerMessage *msg,
            JsonObject        *object,
            const char        *name,
            gint64             min,
            gint64             max,
            gint64            *out)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) < min || json_node_get_int (node) > max)
    {
      respond_errorf (msg, 400, "invalid", _("'%s' must be a whole number from %lld to %lld"), name,
                      (long long) min, (long long) max);
      return FALSE;
    }
  *out = json_node_get_int (node);
  return TRUE;
}

static gboolean
member_string_array (SoupServerMessage   *msg,
                     JsonObject          *object,
                     const char          *name,
                     char              ***out)
{
  JsonNode *node = json_object_get_member (object, name);
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (g_free);
  JsonArray *array;

  *out = NULL;
  if (node == NULL)
    {
      respond_errorf (msg, 400, "invalid", _("'%s' is missing"), name);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      respond_errorf (msg, 400, "invalid", _("'%s' must be an array of strings"), name);
      return FALSE;
    }
  array = json_node_get_array (node);
  if (json_array_get_length (array) == 0 || json_array_get_length (array) > MISSING_MAX)
    {
      respond_errorf (msg, 400, "invalid", _("'%s' must list 1 to %d entries"), name, MISSING_MAX);
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING ||
          strlen (json_node_get_string (element)) > 128)
        {
          respond_errorf (msg, 400, "invalid", _("'%s' must be an array of strings"), name);
          return FALSE;
        }
      g_ptr_array_add (list, g_strdup (json_node_get_string (element)));
    }
  g_ptr_array_add (list, NULL);
  *out = (char **) g_ptr_array_free (g_steal_pointer (&list), FALSE);
  return TRUE;
}

/* A query parameter as a non-negative integer. */
static gboolean
query_uint (SoupServerMessage *msg,
            GHashTable        *query,
            const char        *name,
            guint64            max,
            guint64            fallback,
            guint64           *out)
{
  const char *text = query != NULL ? g_hash_table_lookup (query, name) : NULL;

  *out = fallback;
  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, 0, max, out, NULL))
    {
      respond_errorf (msg, 400, "invalid", _("'%s' must be a whole number from 0 to %llu"),
                      name, (unsigned long long) max);
      return FALSE;
    }
  return TRUE;
}

static gboolean
valid_day (const char *day)
{
  int y, m, d;
  char tail;

  return day != NULL && strlen (day) == 10 && sscanf (day, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 &&
         g_date_valid_dmy (d, m, y);
}

/* Operations: queued, then run inside the batch's transaction */

static void
op_free (Op *op)
{
  if (op->disconnected_id != 0)
    g_signal_handler_disconnect (op->msg, op->disconnected_id);
  g_clear_object (&op->msg);
  g_clear_pointer (&op->identity, ow_auth_identity_free);
  g_free (op->actor);
  g_free (op->terminal);
  g_free (op->bearer);
  g_free (op->window);
  g_free (op->reason);
  g_free (op->to_step);
  g_free (op->to_window);
  g_strfreev (op->missing);
  g_free (op->service);
  g_free (op->green_category);
  g_free (op->token);
  g_free (op->comment);
  g_clear_pointer (&op->body, g_bytes_unref);
  g_free (op->redirect);
  g_free (op->state);
  g_free (op->note);
  g_free (op->owner);
  g_free (op->deadline);
  g_clear_pointer (&op->result, g_bytes_unref);
  g_clear_error (&op->error);
  g_free (op);
}

static void
op_disconnected_cb (SoupServerMessage *msg,
                    Op                *op)
{
  op->gone = TRUE;
}

static Op *
op_new (Front             *front,
        SoupServerMessage *msg,
        OpFunc             func,
        OwAuthIdentity    *identity)
{
  Op *op = g_new0 (Op, 1);

  op->front = front;
  op->msg = g_object_ref (msg);
  op->func = func;
  op->identity = identity;
  op->actor = g_strdup (identity != NULL ? identity->actor : "citizen");
  op->terminal = identity != NULL ? request_terminal (msg) : NULL;
  op->disconnected_id = g_signal_connect (msg, "disconnected", G_CALLBACK (op_disconnected_cb), op);
  return op;
}

/* The two busiest writes, issuing and window actions, have their token checked in the writer,
 * on its connection.  On an HTTP thread the lookup first re-read the pages the last commit had
 * made stale: about a twentieth of the server's time under load.  Called with @op made without
 * an identity. */
static void
op_defer_authorization (Op                *op,
                        SoupServerMessage *msg,
                        Role               allowed,
                        gboolean           own_window)
{
  op->bearer = g_strdup (bearer_token (msg));
  op->allowed = allowed;
  op->own_window = own_window;
  op->terminal = request_terminal (msg);
}

/* In the writer: the check op_defer_authorization () put off. */
static gboolean
op_authorize (OwServer  *self,
              Op        *op,
              GError   **error)
{
  OwAuthIdentity *identity;

  identity = check_token (self->writer_hall, op->bearer, op->allowed, op->own_window ? op->window : NULL, error);
  if (identity == NULL)
    return FALSE;
  g_free (op->actor);
  op->actor = g_strdup (identity->actor);
  op->identity = identity;
  return TRUE;
}

/* For a write whose token the writer is to check, refused before it got there (a bad body, an
 * unknown action): an unknown token or a forbidden role is still what the client hears. */
static void
refuse_unauthorized_first (Front             *front,
                           SoupServerMessage *msg,
                           Role               allowed,
                           const char        *window)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OwAuthIdentity) identity = NULL;

  if (soup_server_message_get_status (msg) < 400)
    return;
  identity = check_token (front->hall, bearer_token (msg), allowed, window, &error);
  if (identity == NULL)
    respond_refusal (msg, error);
}

/* A queued write's answer is written: its whole time in the server, for the log at exit. */
static void
write_finished (OwServer          *self,
                SoupServerMessage *msg)
{
  WriteTiming *timing = g_object_get_qdata (G_OBJECT (msg), self->timing);

  if (timing == NULL || !timing->queued)
    return;
  g_mutex_lock (&self->lock);
  time_ring_add (&self->whole, (g_get_monotonic_time () - timing->headers_at) / 1000.0);
  g_mutex_unlock (&self->lock);
}

/* Queues @op; the response waits until the batch holding it has committed.  When the writer
 * thread is idle the operation starts at once, alone; while a batch commits, the operations
 * arriving meanwhile, from every front, gather into the next one (group commit without added
 * delay). */
static void
op_submit (Front *front,
           Op    *op)
{
  OwServer *self = front->server;
  WriteTiming *timing = g_object_get_qdata (G_OBJECT (op->msg), self->timing);
  gboolean wake;

  soup_server_message_pause (op->msg);
  op->queued_at = g_get_monotonic_time ();
  if (timing != NULL)
    timing->queued = TRUE;
  g_mutex_lock (&self->lock);
  if (timing != NULL)
    time_ring_add (&self->read, (op->queued_at - timing->headers_at) / 1000.0);
  g_queue_push_tail (&self->pending, op);
  /* GLib signals with a system call even when nobody waits; under load the writer is busy.
   * After unlocking, or the writer would wake only to wait for the lock. */
  wake = self->writer_waiting;
  g_mutex_unlock (&self->lock);
  if (wake)
    g_cond_signal (&self->wake);
}

static JsonNode *
object_node (JsonObject *object)
{
  JsonNode *node = json_node_init_object (json_node_alloc (), object);

  json_object_unref (object);
  return node;
}

static JsonNode *
run_issue (OwServer  *self,
           Op        *op,
           guint     *status,
           GError   **error)
{
  OwActor actor = { op->actor, op->terminal };
  g_autofree char *base = NULL;
  g_autofree char *url = NULL;
  JsonObject *ticket;

  ticket = ow_hall_issue_ticket (self->writer_hall, &actor, op->service, op->green, op->green_category, error);
  if (ticket == NULL)
    return NULL;
  json_object_set_int_member (ticket, "estimated_wait_s", ow_public_estimate_wait (self->writer_hall, ticket));
  base = ow_db_get_setting (self->writer_db, "status_base_url");
  if (base == NULL || *base == '\0')
    {
      g_free (base);
      base = g_strdup (self->url);
    }
  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  url = g_strdup_printf ("%s/t/%s", base, json_object_get_string_member (ticket, "token"));
  json_object_set_string_member (ticket, "status_url", url);
  *status = 201;
  return object_node (ticket);
}

static JsonNode *
run_window (OwServer  *self,
            Op        *op,
            guint     *status,
            GError   **error)
{
  OwActor actor = { op->actor, op->terminal };
  OwWindowArgs args = {
    .staff = op->identity->id,
    .reason = op->reason,
    .missing = (const char * const *) op->missing,
    .to_step = op->to_step,
    .to_window = op->to_window,
    .deadline = op->deadline,
  };
  JsonObject *result;

  result = ow_hall_window_act (self->writer_hall, &actor, op->window, op->action, &args, error);
  if (result == NULL)
    return NULL;
  *status = 200;
  return object_node (result);
}

static JsonNode *
run_rate (OwServer  *self,
          Op        *op,
          guint     *status,
          GError   **error)
{
  OwActor actor = { op->actor, op->terminal };
  JsonObject *result;

  result = ow_public_rate (self->writer_hall, &actor, op->token, op->level, op->comment, error);
  if (result == NULL)
    return NULL;
  *status = 201;
  return object_node (result);
}

static JsonNode *
run_supply (OwServer  *self,
            Op        *op,
            guint     *status,
            GError   **error)
{
  OwActor actor = { op->actor, op->terminal };
  JsonObject *result;

  result = ow_hall_supply_documents (self->writer_hall, &actor, op->token,
                                     (const char * const *) op->missing, error);
  if (result == NULL)
    return NULL;
  *status = 200;
  return object_node (result);
}

static JsonNode *
run_followup (OwServer  *self,
              Op        *op,
              guint     *status,
              GError   **error)
{
  OwActor actor = { op->actor, op->terminal };
  JsonObject *result;

  result = ow_followup_move (self->writer_hall, &actor, op->rating, op->state, op->note, op->owner, error);
  if (result == NULL)
    return NULL;
  *status = 200;
  return object_node (result);
}

static JsonNode *
run_logout (OwServer  *self,
            Op        *op,
            guint     *status,
            GError   **error)
{
  OwActor actor = { op->actor, op->terminal };
  JsonObject *result;

  if (!ow_auth_logout (self->writer_hall, &actor, op->identity, error))
    return NULL;
  result = json_object_new ();
  json_object_set_boolean_member (result, "ok", TRUE);
  *status = 200;
  return object_node (result);
}

static JsonNode *
run_catalog_import (OwServer  *self,
                    Op        *op,
                    guint     *status,
                    GError   **error)
{
  OwActor actor = { op->actor, op->terminal };
  JsonObject *summary = NULL;
  JsonObject *result;
  gsize length;
  const char *data = g_bytes_get_data (op->body, &length);

  if (!ow_catalog_import_data (self->writer_db, self->clock, &actor, "request body", data, length, &summary, error))
    return NULL;
  result = json_object_new ();
  json_object_set_boolean_member (result, "ok", TRUE);
  json_object_set_object_member (result, "imported", summary);
  *status = 200;
  return object_node (result);
}

static JsonNode *
run_device_add (OwServer  *self,
                Op        *op,
                guint     *status,
                GError   **error)
{
  OwActor actor = { op->actor, op->terminal };
  g_autofree char *token = NULL;
  JsonObject *result;

  token = ow_auth_device_add (self->writer_hall, &actor, op->window, op->service, error);
  if (token == NULL)
    return NULL;
  result = json_object_new ();
  json_object_set_string_member (result, "name", op->window);
  json_object_set_string_member (result, "role", op->service);
  json_object_set_string_member (result, "token", token);
  *status = 201;
  return object_node (result);
}

static JsonNode *
run_device_revoke (OwServer  *self,
                   Op        *op,
                   guint     *status,
                   GError   **error)
{
  OwActor actor = { op->actor, op->terminal };
  JsonObject *result;

  if (!ow_auth_device_revoke (self->writer_hall, &actor, op->window, error))
    return NULL;
  result = json_object_new ();
  json_object_set_string_member (result, "name", op->window);
  json_object_set_boolean_member (result, "revoked", TRUE);
  *status = 200;
  return object_node (result);
}

/* The language of a page for @msg's browser, which the response then says it is in. */
static const char *
page_language_of (SoupServerMessage *msg)
{
  const char *lang = ow_server_pick_language (
    soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Accept-Language"));
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "Content-Language", g_str_equal (lang, "zh_CN") ? "zh-CN" : "en");
  soup_message_headers_replace (headers, "Vary", "Accept-Language");
  return lang;
}

/* A citizen's rating form that the writer refused: a page saying why, in the browser's
 * language (the error's message is in the server's), with the way back. */
static void
respond_form_refusal (Op *op)
{
  const char *lang = page_language_of (op->msg);
  g_autoptr(OwPageLanguage) page_language = ow_server_page_language_begin (lang);
  g_autofree char *text = NULL;
  guint status;

  if (g_error_matches (op->error, OW_HALL_ERROR, OW_HALL_ERROR_EXISTS))
    {
      text = g_strdup (_("This ticket has been rated already. Thank you."));
      status = 409;
    }
  else if (g_error_matches (op->error, OW_HALL_ERROR, OW_HALL_ERROR_WRONG_STATE))
    {
      text = g_strdup (_("A ticket can be rated once its service is finished."));
      status = 409;
    }
  else if (g_error_matches (op->error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND))
    {
      text = g_strdup (_("Please check the link on your ticket."));
      status = 404;
    }
  else if (g_error_matches (op->error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID))
    {
      /* The form sends only a level it offers and text; what is left is the comment's length. */
      text = g_strdup_printf (_("A comment is at most %d characters."), OW_RATING_COMMENT_MAX);
      status = 400;
    }
  else
    {
      text = g_strdup (_("The rating could not be saved just now. Please try again."));
      status = 503;
    }
  respond_html (op->msg, status, ow_server_page_message (lang, _("Rating not recorded"), text, op->redirect));
}

static void
op_respond (Op *op)
{
  if (op->gone)
    return;
  if (op->redirect != NULL && op->result == NULL)
    respond_form_refusal (op);
  else if (op->redirect != NULL)
    {
      /* A browser's form: back to the page, which shows the outcome. */
      soup_server_message_set_redirect (op->msg, 303, op->redirect);
    }
  else if (op->result != NULL)
    respond_bytes (op->msg, op->status, op->result);
  else
    respond_refusal (op->msg, op->error);
  soup_server_message_unpause (op->msg);
}

static void
op_fail_rolled_back (Op           *op,
                     const GError *cause)
{
  g_clear_pointer (&op->result, g_bytes_unref);
  g_clear_error (&op->error);
  g_set_error (&op->error, OW_DB_ERROR, OW_DB_ERROR_BUSY,
               _("the database could not commit this; nothing was changed: %s"),
               cause != NULL ? cause->message : _("the transaction was rolled back"));
}

/* Runs in the writer thread: the batch's operations, each in its own savepoint, then one
 * durable commit.  Only the writer connection is touched here, never a message or a socket. */
static void
run_batch (OwServer  *self,
           GPtrArray *batch)
{
  g_autoptr(GError) error = NULL;
  JsonNode *result;
  gboolean outer;
  guint first = 0;

  outer = self->group_commit && batch->len > 1;
  if (outer && !ow_db_begin (self->writer_db, TRUE, &error))
    {
      g_warning ("cannot begin a batch: %s", error->message);
      g_clear_error (&error);
      outer = FALSE;
    }

  for (guint i = 0; i < batch->len; i++)
    {
      Op *op = g_ptr_array_index (batch, i);

      /* After a hard error SQLite may abandon the whole transaction: what the operations
       * before it did is gone, so they fail too, and the rest get a new transaction. */
      if (outer && !ow_db_in_transaction (self->writer_db))
        {
          for (guint j = first; j < i; j++)
            if (((Op *) g_ptr_array_index (batch, j))->result != NULL)
              op_fail_rolled_back (g_ptr_array_index (batch, j), NULL);
          first = i;
          if (!ow_db_begin (self->writer_db, TRUE, &error))
            {
              g_warning ("cannot begin a batch: %s", error->message);
              g_clear_error (&error);
              outer = FALSE;
            }
        }
      if (op->bearer != NULL && !op_authorize (self, op, &op->error))
        result = NULL;
      else
        result = op->func (self, op, &op->status, &op->error);
      g_assert (result != NULL || op->error != NULL);
      /* Rendered here, where the answer was just built and sits in this core's cache: on a
       * front's thread the same took eight times as long. */
      if (result != NULL)
        op->result = json_to_bytes (result);
      g_clear_pointer (&result, json_node_unref);
    }

  if (outer)
    {
      if (!ow_db_in_transaction (self->writer_db) || !ow_db_commit (self->writer_db, &error))
        {
          if (error != NULL)
            g_warning ("batch commit failed: %s", error->message);
          for (guint j = first; j < batch->len; j++)
            if (((Op *) g_ptr_array_index (batch, j))->result != NULL)
              op_fail_rolled_back (g_ptr_array_index (batch, j), error);
        }
    }
}

static gboolean front_wake_cb (gpointer data);

/* Picks the fronts to wake into @fronts (room for all), marking them; called with the lock
 * held.  Returns how many. */
static guint
fronts_to_wake_locked (OwServer  *self,
                       Front    **fronts)
{
  guint n = 0;

  for (guint i = 0; i < self->fronts->len; i++)
    {
      Front *front = g_ptr_array_index (self->fronts, i);

      if (front->wake_pending || front->context == NULL)
        continue;
      front->wake_pending = TRUE;
      fronts[n++] = front;
    }
  return n;
}

/* Makes @fronts answer what they have been handed and broadcast what is new.  Called after
 * unlocking: a front woken with the lock still held would first wait for it. */
static void
wake_fronts_marked (Front **fronts,
                    guint   n)
{
  for (guint i = 0; i < n; i++)
    {
      /* Always through the front's loop, even from its own thread. */
      GSource *source = g_idle_source_new ();

      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, front_wake_cb, fronts[i], NULL);
      g_source_attach (source, fronts[i]->context);
      g_source_unref (source);
    }
}

/* After a commit outside the writer (a sign-in, a new staff member): the fronts look for its
 * events in the log themselves. */
static void
wake_fronts (OwServer *self)
{
  Front *fronts[FRONTS_MAX];
  guint n;

  g_atomic_int_inc (&self->outside_writes);
  g_mutex_lock (&self->lock);
  n = fronts_to_wake_locked (self, fronts);
  g_mutex_unlock (&self->lock);
  wake_fronts_marked (fronts, n);
}

/* The writer thread: takes everything queued, runs it as one batch, hands each operation
 * back to its front, and starts again with what gathered meanwhile. */
static gpointer
writer_main (gpointer data)
{
  OwServer *self = data;

  g_mutex_lock (&self->lock);
  for (;;)
    {
      g_autoptr(GPtrArray) batch = NULL;
      Front *fronts[FRONTS_MAX];
      guint n_fronts;
      gint64 done;

      while (g_queue_is_empty (&self->pending) && !self->writer_stopping)
        {
          self->writer_waiting = TRUE;
          g_cond_wait (&self->wake, &self->lock);
          self->writer_waiting = FALSE;
        }
      if (g_queue_is_empty (&self->pending))
        break;

      batch = g_ptr_array_new ();
      while (batch->len < BATCH_MAX && !g_queue_is_empty (&self->pending))
        g_ptr_array_add (batch, g_queue_pop_head (&self->pending));
      self->writer_busy = TRUE;
      g_mutex_unlock (&self->lock);

      run_batch (self, batch);
      feed_render (self);

      /* Durable now: each front answers its own, then tells its subscribers. */
      done = g_get_monotonic_time ();
      g_mutex_lock (&self->lock);
      self->batches++;
      self->batched_ops += batch->len;
      for (guint i = 0; i < batch->len; i++)
        {
          Op *op = g_ptr_array_index (batch, i);

          time_ring_add (&self->committed, (done - op->queued_at) / 1000.0);
          g_queue_push_tail (&op->front->answered, op);
        }
      n_fronts = fronts_to_wake_locked (self, fronts);
      g_mutex_unlock (&self->lock);
      wake_fronts_marked (fronts, n_fronts);
      g_mutex_lock (&self->lock);
      /* Idle only now, so a stopping server finds the fronts' wake-ups already on their way. */
      self->writer_busy = FALSE;
      if (g_queue_is_empty (&self->pending))
        g_cond_broadcast (&self->idle);
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

/* On a front's thread: answers the operations the writer has finished, then broadcasts. */
static gboolean
front_wake_cb (gpointer data)
{
  Front *front = data;
  OwServer *self = front->server;
  GQueue answered = G_QUEUE_INIT;
  Op *op;

  g_mutex_lock (&self->lock);
  answered = front->answered;
  g_queue_init (&front->answered);
  front->wake_pending = FALSE;
  g_mutex_unlock (&self->lock);

  while ((op = g_queue_pop_head (&answered)) != NULL)
    {
      op_respond (op);
      g_mutex_lock (&self->lock);
      time_ring_add (&self->answered, (g_get_monotonic_time () - op->queued_at) / 1000.0);
      g_mutex_unlock (&self->lock);
      op_free (op);
    }
  broadcast (front, FALSE);
  return G_SOURCE_REMOVE;
}

/* Event stream */

static const char *public_details[] = {
  "step", "next_step", "from_step", "to_step", "to_window", "target_window", "from_state",
  "recalls", "no_shows", "limit", "ended", "service", "green", "waited_s", "service_s", "over_s",
  "waiting", "threshold",
};

static JsonObject *
filter_event (JsonObject *event,
              Filter      filter)
{
  JsonObject *copy = json_object_new ();
  GList *members = json_object_get_members (event);

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;

      if (filter != FILTER_FULL && g_str_equal (name, "terminal"))
        continue;
      if (filter == FILTER_PUBLIC && g_str_equal (name, "hash"))
        continue;
      if (filter == FILTER_PUBLIC && g_str_equal (name, "actor"))
        {
          /* Screens learn what kind of actor it was, not who. */
          const char *actor = json_object_get_string_member_with_default (event, "actor", "");
          const char *colon = strchr (actor, ':');
          g_autofree char *kind = colon != NULL ? g_strndup (actor, colon - actor) : g_strdup (actor);

          json_object_set_string_member (copy, "actor", kind);
          continue;
        }
      if (filter == FILTER_PUBLIC && g_str_equal (name, "details"))
        {
          JsonObject *details = json_object_get_object_member (event, "details");
          JsonObject *kept = json_object_new ();

          for (guint i = 0; details != NULL && i < G_N_ELEMENTS (public_details); i++)
            if (json_object_has_member (details, public_details[i]))
              json_object_set_member (kept, public_details[i],
                                      json_node_copy (json_object_get_member (details, public_details[i])));
          json_object_set_object_member (copy, "details", kept);
          continue;
        }
      json_object_set_member (copy, name, json_node_copy (json_object_get_member (event, name)));
    }
  g_list_free (members);
  return copy;
}

static char *
event_text (JsonObject *event,
            Filter      filter)
{
  g_autoptr(JsonObject) filtered = filter_event (event, filter);
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), filtered);
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

static gboolean
subscriber_open (Subscriber *sub)
{
  return ow_web_socket_is_open (sub->ws);
}

static void
flush_subscribers (Front *front)
{
  for (guint i = 0; i < front->subscribers->len; i++)
    ow_web_socket_flush (((Subscriber *) g_ptr_array_index (front->subscribers, i))->ws);
}

static gboolean
catchup_cb (gpointer data)
{
  Front *front = data;
  gboolean behind = FALSE;

  for (guint i = 0; i < front->subscribers->len; i++)
    {
      Subscriber *sub = g_ptr_array_index (front->subscribers, i);
      g_autoptr(JsonArray) events = NULL;
      g_autoptr(GError) error = NULL;
      gint64 missing;

      if (!subscriber_open (sub) || sub->next_seq > front->broadcast_seq)
        continue;
      /* Until the socket has taken what was queued: a client catching up on a long log
       * would otherwise have all of it queued here.  It drains into schedule_catchup (). */
      if (ow_web_socket_get_queued (sub->ws) >= CATCHUP_QUEUED_MAX)
        continue;
      missing = front->broadcast_seq - sub->next_seq + 1;
      events = ow_feed_read (front->db, sub->next_seq - 1, MIN (missing, FEED_CHUNK), &error);
      if (events == NULL)
        {
          g_warning ("cannot read the audit log: %s", error->message);
          continue;
        }
      for (guint j = 0; j < json_array_get_length (events); j++)
        {
          JsonObject *event = json_array_get_object_element (events, j);
          g_autofree char *text = event_text (event, sub->filter);

          ow_web_socket_queue_text (sub->ws, text, strlen (text));
          sub->next_seq = json_object_get_int_member (event, "seq") + 1;
        }
      if (json_array_get_length (events) == 0)
        sub->next_seq = front->broadcast_seq + 1;
      ow_web_socket_flush (sub->ws);
      behind |= sub->next_seq <= front->broadcast_seq &&
                ow_web_socket_get_queued (sub->ws) < CATCHUP_QUEUED_MAX;
    }

  if (behind)
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&front->catchup_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* Sources go to the front's own context, never to the global default one. */
static GSource *
front_attach (Front       *front,
              GSource     *source,
              GSourceFunc  func)
{
  g_source_set_callback (source, func, front, NULL);
  g_source_attach (source, front->context);
  return source;
}

static void
schedule_catchup (Front *front)
{
  if (front->catchup_source == NULL)
    front->catchup_source = front_attach (front, g_idle_source_new (), catchup_cb);
}

static GBytes *
event_bytes (JsonObject *event,
             Filter      filter)
{
  char *text = event_text (event, filter);

  return g_bytes_new_take (text, strlen (text));
}

static void
feed_entry_clear (FeedEntry *entry)
{
  for (guint f = 0; f < N_FILTERS; f++)
    g_clear_pointer (&entry->text[f], g_bytes_unref);
  entry->seq = 0;
}

/* On the writer thread, after each batch: renders the events committed since the last time,
 * once for every front and only for the kinds of subscriber listening, so the fronts need not
 * each read the log and render them again.  What is not in the feed (a kind that started
 * listening meanwhile, a front far behind) the fronts read from the log themselves. */
static void
feed_render (OwServer *self)
{
  g_autoptr(GArray) rendered = g_array_new (FALSE, TRUE, sizeof (FeedEntry));
  gboolean wanted[N_FILTERS];
  gboolean any = FALSE;
  gint64 head;

  for (guint f = 0; f < N_FILTERS; f++)
    any |= wanted[f] = g_atomic_int_get (&self->listening[f]) > 0;
  head = ow_audit_head_seq (self->writer_db);
  self->feed_read_seq = any ? MAX (self->feed_read_seq, head - FEED_KEPT) : head;
  while (self->feed_read_seq < head)
    {
      g_autoptr(JsonArray) events = NULL;
      g_autoptr(GError) error = NULL;

      events = ow_feed_read (self->writer_db, self->feed_read_seq, FEED_CHUNK, &error);
      if (events == NULL)
        {
          g_warning ("cannot read the audit log: %s", error->message);
          break;
        }
      if (json_array_get_length (events) == 0)
        break;
      for (guint i = 0; i < json_array_get_length (events); i++)
        {
          JsonObject *event = json_array_get_object_element (events, i);
          FeedEntry entry = { json_object_get_int_member (event, "seq"), { NULL } };

          for (guint f = 0; f < N_FILTERS; f++)
            if (wanted[f])
              entry.text[f] = event_bytes (event, f);
          g_array_append_val (rendered, entry);
          self->feed_read_seq = entry.seq;
        }
    }

  g_mutex_lock (&self->feed_lock);
  for (guint i = 0; i < rendered->len; i++)
    {
      FeedEntry *entry = &g_array_index (rendered, FeedEntry, i);
      FeedEntry *slot = &self->feed[entry->seq % FEED_KEPT];

      feed_entry_clear (slot);
      *slot = *entry;
    }
  self->feed_seq = MAX (self->feed_seq, head);
  g_mutex_unlock (&self->feed_lock);
}

/* Copies, with references, the feed's entries from @from to @to, as many as it holds in a row
 * (at most @max). */
static guint
feed_take (OwServer  *self,
           gint64     from,
           gint64     to,
           FeedEntry *out,
           guint      max)
{
  guint n = 0;

  g_mutex_lock (&self->feed_lock);
  for (gint64 seq = from; seq <= to && n < max; seq++, n++)
    {
      FeedEntry *entry = &self->feed[seq % FEED_KEPT];

      if (entry->seq != seq)
        break;
      out[n].seq = seq;
      for (guint f = 0; f < N_FILTERS; f++)
        out[n].text[f] = entry->text[f] != NULL ? g_bytes_ref (entry->text[f]) : NULL;
    }
  g_mutex_unlock (&self->feed_lock);
  return n;
}

/* Sends event @seq, the next one, to the live subscribers, each in the text for its kind:
 * from @texts, where missing ones are rendered from @event.  Without @event and with a text
 * missing, sends nothing and returns FALSE. */
static gboolean
send_event (Front      *front,
            gint64      seq,
            GBytes     *texts[N_FILTERS],
            JsonObject *event)
{
  for (guint j = 0; j < front->subscribers->len; j++)
    {
      Subscriber *sub = g_ptr_array_index (front->subscribers, j);

      if (sub->next_seq != seq || !subscriber_open (sub) || texts[sub->filter] != NULL)
        continue;
      if (event == NULL)
        return FALSE;
      texts[sub->filter] = event_bytes (event, sub->filter);
    }
  for (guint j = 0; j < front->subscribers->len; j++)
    {
      Subscriber *sub = g_ptr_array_index (front->subscribers, j);

      if (sub->next_seq != seq || !subscriber_open (sub))
        continue;
      ow_web_socket_queue_text (sub->ws, g_bytes_get_data (texts[sub->filter], NULL),
                                g_bytes_get_size (texts[sub->filter]));
      sub->next_seq = seq + 1;
    }
  front->broadcast_seq = seq;
  return TRUE;
}

/* Sends the next events, up to a chunk, read from the log.  FALSE if there were none. */
static gboolean
broadcast_from_log (Front *front)
{
  g_autoptr(JsonArray) events = NULL;
  g_autoptr(GError) error = NULL;

  events = ow_feed_read (front->db, front->broadcast_seq, FEED_CHUNK, &error);
  if (events == NULL)
    {
      g_warning ("cannot read the audit log: %s", error->message);
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);
      GBytes *texts[N_FILTERS] = { NULL };

      send_event (front, json_object_get_int_member (event, "seq"), texts, event);
      for (guint f = 0; f < N_FILTERS; f++)
        g_clear_pointer (&texts[f], g_bytes_unref);
    }
  return json_array_get_length (events) > 0;
}

static gboolean
has_live_subscriber (Front *front)
{
  for (guint j = 0; j < front->subscribers->len; j++)
    {
      Subscriber *sub = g_ptr_array_index (front->subscribers, j);

      if (sub->next_seq == front->broadcast_seq + 1 && subscriber_open (sub))
        return TRUE;
    }
  return FALSE;
}

/* Hands every event after broadcast_seq to the subscribers that are up to date, from the
 * writer's feed, or else from the log, and then writes each subscriber's at once: a batch of
 * events goes to a board in one send and one packet, which saves both ends most of their
 * network stack work.  The others catch up from the log in order, so each
 * sees every event once, in sequence.  The feed knows the writer's commits; @check_log also
 * looks in the log for events committed elsewhere (another process, the sign-in thread). */
static void
broadcast (Front    *front,
           gboolean  check_log)
{
  OwServer *self = front->server;
  guint outside = (guint) g_atomic_int_get (&self->outside_writes);
  gint64 head;

  g_mutex_lock (&self->feed_lock);
  head = self->feed_seq;
  g_mutex_unlock (&self->feed_lock);
  if (check_log || outside != front->outside_seen)
    {
      front->outside_seen = outside;
      head = MAX (head, ow_audit_head_seq (front->db));
    }
  if (!has_live_subscriber (front))
    {
      front->broadcast_seq = MAX (front->broadcast_seq, head);
      return;
    }

  while (front->broadcast_seq < head)
    {
      FeedEntry taken[64];
      guint n = feed_take (self, front->broadcast_seq + 1, head, taken, G_N_ELEMENTS (taken));
      guint sent = 0;

      while (sent < n && send_event (front, taken[sent].seq, taken[sent].text, NULL))
        sent++;
      for (guint i = 0; i < n; i++)
        feed_entry_clear (&taken[i]);
      if (n > 0 && sent == n)
        continue;
      if (!broadcast_from_log (front))
        break;
    }
  flush_subscribers (front);
}

/* Connections whose client has gone.  libsoup 3.2 notices when a client closes a keep-alive
 * connection between requests, but never closes its own side: the socket would stay in
 * CLOSE_WAIT, holding a descriptor, until the server stops.  Phones leaving the status page
 * and clients dropping idle connections would use up the descriptors within days.  So the
 * front counts the requests in progress on each connection and closes those that are idle,
 * have nothing left to read, and whose client has said it sends no more (or was reset).
 * libsoup keeps its own objects for such a connection, a few hundred bytes, until the
 * server stops: no public call of 3.2 reaches them. */

typedef struct
{
  guint    busy;        /* requests in progress */
  gboolean left_seen;   /* found abandoned at the last sweep */
} Peer;

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    Front             *front)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  Peer *peer;

  if (socket == NULL)
    return;
  peer = g_hash_table_lookup (front->connections, socket);
  if (peer == NULL)
    {
      /* A client that vanishes without a word (a phone leaving the Wi-Fi) is found out by
       * TCP's keep-alive within about two minutes, and its socket then counts as left. */
      g_socket_set_keepalive (socket, TRUE);
      g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPIDLE, 60, NULL);
      g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPINTVL, 10, NULL);
      g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPCNT, 6, NULL);
      /* libsoup writes a response's headers and body separately: with Nagle's algorithm the
       * body could wait for the client to acknowledge the headers, a delayed ACK (tens of
       * milliseconds) on a keep-alive request. */
      if (g_socket_get_family (socket) != G_SOCKET_FAMILY_UNIX)
        g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
      peer = g_new0 (Peer, 1);
      g_hash_table_insert (front->connections, g_object_ref (socket), peer);
    }
  peer->busy++;
  peer->left_seen = FALSE;
}

/* Also "request-aborted".  An upgrade to a WebSocket ends neither way: it stays busy until
 * the stream closes its socket. */
static void
request_ended_cb (SoupServer        *server,
                  SoupServerMessage *msg,
                  Front             *front)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  Peer *peer = socket != NULL ? g_hash_table_lookup (front->connections, socket) : NULL;

  /* Out of the cork the response went into (cork_response ()).  A closed GSocket keeps its
   * old descriptor number, which may belong to another file by now. */
  if (socket != NULL && !g_socket_is_closed (socket))
    g_socket_set_option (socket, IPPROTO_TCP, TCP_CORK, 0, NULL);
  if (peer == NULL)
    return;
  if (peer->busy > 0)
    peer->busy--;
  peer->left_seen = FALSE;
}

static void
request_finished_cb (SoupServer        *server,
                     SoupServerMessage *msg,
                     Front             *front)
{
  write_finished (front->server, msg);
  request_ended_cb (server, msg, front);
}

/* The client sent FIN and there is nothing left to read, or the connection was reset or
 * timed out. */
static gboolean
client_has_left (GSocket *socket)
{
  struct tcp_info info = { 0 };
  socklen_t size = sizeof info;
  int unread = 0;
  int fd = g_socket_get_fd (socket);

  if (getsockopt (fd, IPPROTO_TCP, TCP_INFO, &info, &size) != 0)
    return FALSE;
  if (info.tcpi_state == TCP_CLOSE)
    return TRUE;
  return info.tcpi_state == TCP_CLOSE_WAIT && ioctl (fd, SIOCINQ, &unread) == 0 && unread == 0;
}

/* A connection is closed when found abandoned at two sweeps in a row: a request the client
 * pipelined before it left may sit in libsoup's buffer, not the socket's, until the main
 * loop's next round starts it. */
static void
close_abandoned_connections (Front *front)
{
  GHashTableIter iter;
  gpointer socket, value;

  g_hash_table_iter_init (&iter, front->connections);
  while (g_hash_table_iter_next (&iter, &socket, &value))
    {
      Peer *peer = value;

      if (!g_socket_is_closed (socket))
        {
          gboolean left = peer->busy == 0 && client_has_left (socket);

          if (left && peer->left_seen)
            g_socket_close (socket, NULL);
          peer->left_seen = left;
        }
      if (g_socket_is_closed (socket))
        g_hash_table_iter_remove (&iter);
    }
}

static gboolean
poll_cb (gpointer data)
{
  /* Other processes (the CLI) may append to the log too. */
  broadcast (data, TRUE);
  close_abandoned_connections (data);
  return G_SOURCE_CONTINUE;
}

static void
subscriber_closed_cb (OwWebSocket *ws,
                      gpointer     data)
{
  Subscriber *sub = data;

  g_ptr_array_remove_fast (sub->front->subscribers, sub);
}

static void
subscriber_drained_cb (OwWebSocket *ws,
                       gpointer     data)
{
  Subscriber *sub = data;

  if (sub->next_seq <= sub->front->broadcast_seq)
    schedule_catchup (sub->front);
}

static void
subscriber_free (Subscriber *sub)
{
  g_atomic_int_add (&sub->front->server->listening[sub->filter], -1);
  ow_web_socket_free (sub->ws);
  g_free (sub);
}

/* The 101 answer is out: the connection is the event stream's from now on. */
static void
events_upgraded_cb (SoupServerMessage *msg,
                    Front             *front)
{
  OwServer *self = front->server;
  OwAuthIdentity *identity = g_object_get_data (G_OBJECT (msg), "ow-identity");
  gint64 *since = g_object_get_data (G_OBJECT (msg), "ow-since");
  g_autoptr(GIOStream) stream = NULL;
  Subscriber *sub;
  Role role;

  g_return_if_fail (identity != NULL && since != NULL);

  stream = soup_server_message_steal_connection (msg);
  if (stream == NULL)
    return;

  broadcast (front, TRUE);

  role = role_of (identity);
  sub = g_new0 (Subscriber, 1);
  sub->front = front;
  sub->ws = ow_web_socket_new (stream, self->keepalive_s, EVENTS_INCOMING_MAX,
                               subscriber_closed_cb, subscriber_drained_cb, sub);
  sub->filter = (role & (ROLE_SUPERVISOR | ROLE_ADMIN)) ? FILTER_FULL
                : (role & ROLE_COUNTER) ? FILTER_STAFF : FILTER_PUBLIC;
  sub->next_seq = *since + 1;
  g_atomic_int_inc (&self->listening[sub->filter]);
  g_ptr_array_add (front->subscribers, sub);
  if (sub->next_seq <= front->broadcast_seq)
    schedule_catchup (front);
}

/* GET /api/v1/events, signed in and checked by early_cb (): answers the handshake, without
 * extensions, and takes the connection over once the answer is written. */
static void
events_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           data)
{
  Front *front = data;

  if (soup_server_message_get_status (msg) != 0)
    return;
  if (!soup_websocket_server_process_handshake (msg, NULL, NULL, NULL, NULL))
    return;
  g_signal_connect (msg, "wrote-informational", G_CALLBACK (events_upgraded_cb), front);
}

/* Runs when the headers are in, before any body is read: refuses big bodies early, and
 * authenticates the event stream before the WebSocket upgrade. */
static void
early_cb (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           data)
{
  Front *front = data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  goffset length;

  /* The start of the server's part of a write's latency (logged at exit). */
  if (soup_server_message_get_method (msg) == SOUP_METHOD_POST)
    {
      WriteTiming *timing = g_new0 (WriteTiming, 1);

      timing->headers_at = g_get_monotonic_time ();
      g_object_set_qdata_full (G_OBJECT (msg), front->server->timing, timing, g_free);
    }

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CHUNKED)
    {
      respond_error (msg, 411, "length_required", _("send the body with a Content-Length"));
      return;
    }
  length = soup_message_headers_get_content_length (headers);
  if (length > BODY_MAX)
    {
      respond_errorf (msg, 413, "too_large", _("a request body is at most %d bytes"), BODY_MAX);
      return;
    }

  if (g_str_equal (path, "/api/v1/events"))
    {
      g_autoptr(GError) error = NULL;
      OwAuthIdentity *identity = NULL;
      guint64 since = 0;

      if (!authorize (front, msg, ROLE_ANY, &identity))
        return;
      g_object_set_data_full (G_OBJECT (msg), "ow-identity", identity,
                              (GDestroyNotify) ow_auth_identity_free);
      gint64 head = ow_audit_head_seq (front->db);
      gint64 *value;
      char head_text[32];

      if (!query_uint (msg, query, "since", G_MAXINT64, (guint64) head, &since))
        return;
      if ((gint64) since > head)
        {
          respond_errorf (msg, 400, "invalid", _("since=%llu is beyond the newest event %lld"),
                          (unsigned long long) since, (long long) head);
          return;
        }
      /* Without since the stream starts after the newest event; the header tells the client
       * which one that is, so it can resume from there after a reconnection. */
      value = g_new (gint64, 1);
      *value = (gint64) since;
      g_object_set_data_full (G_OBJECT (msg), "ow-since", value, g_free);
      g_snprintf (head_text, sizeof head_text, "%" G_GINT64_FORMAT, (gint64) since);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "OW-Since", head_text);
      if (!soup_websocket_server_check_handshake (msg, NULL, NULL, NULL, &error))
        {
          respond_errorf (msg, 400, "websocket", _("this is a WebSocket endpoint: %s"), error->message);
          return;
        }
    }
}

/* Handlers */

/* Hands @item to one of the server's worker pools, unless the server is stopping (the pool
 * is gone or going) or @max_waiting items already wait (0: no limit); then the request is
 * answered 503. */
static gboolean
pool_push (Front             *front,
           GThreadPool      **pool,
           guint              max_waiting,
           gpointer           item,
           SoupServerMessage *msg)
{
  OwServer *self = front->server;
  gboolean stopping, full = FALSE;

  g_mutex_lock (&self->lock);
  stopping = *pool == NULL;
  if (!stopping)
    full = max_waiting > 0 && g_thread_pool_unprocessed (*pool) >= max_waiting;
  if (!stopping && !full)
    g_thread_pool_push (*pool, item, NULL);
  g_mutex_unlock (&self->lock);
  if (stopping)
    respond_error (msg, 503, "stopping", _("the server is stopping"));
  else if (full)
    respond_error (msg, 503, "busy", _("too many reports are waiting; try again in a moment"));
  return !stopping && !full;
}

/* A sign-in, checked in the sign-in thread. */
typedef struct
{
  Front             *front;
  SoupServerMessage *msg;
  char              *staff;
  char              *pin;
  char              *window;
  char              *actor;
  char              *terminal;
  JsonObject        *result;
  GError            *error;
} Login;

static void
login_free (Login *login)
{
  g_clear_object (&login->msg);
  g_free (login->staff);
  if (login->pin != NULL)
    memset (login->pin, 0, strlen (login->pin));
  g_free (login->pin);
  g_free (login->window);
  g_free (login->actor);
  g_free (login->terminal);
  g_clear_pointer (&login->result, json_object_unref);
  g_clear_error (&login->error);
  g_free (login);
}

/* Back on the front that received the sign-in. */
static gboolean
login_done_cb (gpointer data)
{
  Login *login = data;

  if (login->result == NULL)
    respond_gerror (login->msg, login->error);
  else
    respond_object (login->msg, 200, login->result);
  soup_server_message_unpause (login->msg);
  /* The sign-in (or the lockout) is in the log: every front's subscribers hear of it. */
  wake_fronts (login->front->server);
  return G_SOURCE_REMOVE;
}

/* The first task of the sign-in thread, before any sign-in. */
static Login prepare_pin_checks;

/* The sign-in thread (a pool of one). */
static void
login_thread (gpointer data,
              gpointer user_data)
{
  OwServer *self = user_data;
  Login *login = data;
  OwActor actor;

  if (login == &prepare_pin_checks)
    {
      ow_hall_prepare_pin_checks ();
      return;
    }
  actor = (OwActor) { login->actor, login->terminal };
  login->result = ow_auth_login (self->login_hall, &actor, login->staff, login->pin, login->window,
                                 &login->error);
  g_main_context_invoke_full (login->front->context, G_PRIORITY_DEFAULT, login_done_cb, login,
                              (GDestroyNotify) login_free);
}

/* Signing in runs on its own thread and connection, one at a time, neither in a batch nor
 * on an HTTP thread: the PIN check spends tens of milliseconds in argon2id on purpose, and
 * locking an account must commit even when the sign-in fails. */
static void
handle_login (Front             *front,
              SoupServerMessage *msg)
{
  g_autoptr(JsonObject) body = parse_body (msg, TRUE);
  const char *staff, *pin, *window;
  Login *login;

  if (body == NULL ||
      !member_string (msg, body, "staff", TRUE, 64, &staff) ||
      !member_string (msg, body, "pin", TRUE, 16, &pin) ||
      !member_string (msg, body, "window", FALSE, 64, &window))
    return;
  login = g_new0 (Login, 1);
  login->front = front;
  login->msg = g_object_ref (msg);
  login->staff = g_strdup (staff);
  login->pin = g_strdup (pin);
  login->window = g_strdup (window);
  login->actor = g_strconcat ("staff:", staff, NULL);
  login->terminal = request_terminal (msg);
  if (!pool_push (front, &front->server->logins, 0, login, msg))
    {
      login_free (login);
      return;
    }
  soup_server_message_pause (msg);
}

/* Issuing and window actions: the token is checked in the writer (op_defer_authorization ()). */
static void
handle_issue (Front             *front,
              SoupServerMessage *msg)
{
  g_autoptr(JsonObject) body = parse_body (msg, TRUE);
  const char *service, *category;
  gboolean green;
  Op *op;

  if (body == NULL ||
      !member_string (msg, body, "service", TRUE, 64, &service) ||
      !member_boolean (msg, body, "green", &green) ||
      !member_string (msg, body, "green_category", FALSE, 32, &category))
    return;
  op = op_new (front, msg, run_issue, NULL);
  op_defer_authorization (op, msg, ROLE_KIOSK, FALSE);
  op->service = g_strdup (service);
  op->green = green;
  op->green_category = green ? g_strdup (category) : NULL;
  op_submit (front, op);
}

static void
handle_window_action (Front             *front,
                      SoupServerMessage *msg,
                      const char        *window,
                      const char        *action_name)
{
  g_autoptr(JsonObject) body = NULL;
  OwWindowAction action;
  const char *reason = NULL, *to_step = NULL, *to_window = NULL, *deadline = NULL;
  char **missing = NULL;
  Op *op;

  if (!ow_hall_window_action_from_string (action_name, &action))
    {
      respond_errorf (msg, 404, "not_found", _("no window action '%s'"), action_name);
      return;
    }
  body = parse_body (msg, FALSE);
  if (body == NULL ||
      !member_string (msg, body, "reason", FALSE, TEXT_MAX, &reason) ||
      (action == OW_WINDOW_TRANSFER &&
       (!member_string (msg, body, "to_step", FALSE, 128, &to_step) ||
        !member_string (msg, body, "to_window", FALSE, 64, &to_window))) ||
      (action == OW_WINDOW_RETURN && !member_string_array (msg, body, "missing", &missing)) ||
      (action == OW_WINDOW_COMPLETE && json_object_has_member (body, "missing") &&
       !member_string_array (msg, body, "missing", &missing)) ||
      (action == OW_WINDOW_COMPLETE && !member_string (msg, body, "deadline", FALSE, 10, &deadline)))
    {
      g_strfreev (missing);
      return;
    }
  op = op_new (front, msg, run_window, NULL);
  op->window = g_strdup (window);
  op_defer_authorization (op, msg, ROLE_STAFF, TRUE);
  op->action = action;
  op->reason = g_strdup (reason);
  op->to_step = g_strdup (to_step);
  op->to_window = g_strdup (to_window);
  op->missing = missing;
  op->deadline = g_strdup (deadline);
  op_submit (front, op);
}

static void
handle_rating (Front             *front,
               SoupServerMessage *msg,
               const char        *token)
{
  g_autoptr(JsonObject) body = parse_body (msg, TRUE);
  const char *comment;
  gint64 level;
  Op *op;

  if (body == NULL ||
      !member_int (msg, body, "level", OW_RATING_MIN, OW_RATING_MAX, &level) ||
      !member_string (msg, body, "comment", FALSE, OW_RATING_COMMENT_MAX, &comment))
    return;
  op = op_new (front, msg, run_rate, NULL);
  op->token = g_strdup (token);
  op->level = (int) level;
  op->comment = g_strdup (comment);
  op_submit (front, op);
}

/* Supervisors follow bad ratings up; counter staff may appeal their own. */
static void
handle_followup (Front             *front,
                 SoupServerMessage *msg,
                 OwAuthIdentity    *identity,
                 const char        *id_text)
{
  g_autoptr(OwAuthIdentity) who = identity;
  g_autoptr(JsonObject) body = NULL;
  const char *state, *note;
  gint64 id;
  Op *op;

  if (!g_ascii_string_to_signed (id_text, 10, 1, G_MAXINT64, &id, NULL))
    {
      respond_errorf (msg, 404, "not_found", _("no rating '%s'"), id_text);
      return;
    }
  body = parse_body (msg, TRUE);
  if (body == NULL ||
      !member_string (msg, body, "state", TRUE, 16, &state) ||
      !member_string (msg, body, "note", TRUE, OW_FOLLOWUP_NOTE_MAX, &note))
    return;
  op = op_new (front, msg, run_followup, g_steal_pointer (&who));
  op->rating = id;
  op->state = g_strdup (state);
  op->note = g_strdup (note);
  if (g_strcmp0 (op->identity->role, "counter") == 0)
    op->owner = g_strdup (op->identity->id);
  op_submit (front, op);
}

static void
handle_form_rating (Front             *front,
                    SoupServerMessage *msg,
                    const char        *token)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_autoptr(GHashTable) form = NULL;
  const char *level_text, *comment;
  guint64 level = 0;
  Op *op;

  form = soup_form_decode (text);
  level_text = g_hash_table_lookup (form, "level");
  comment = g_hash_table_lookup (form, "comment");
  if (level_text == NULL ||
      !g_ascii_string_to_unsigned (level_text, 10, OW_RATING_MIN, OW_RATING_MAX, &level, NULL) ||
      (comment != NULL && !g_utf8_validate (comment, -1, NULL)))
    {
      const char *lang = page_language_of (msg);
      g_autoptr(OwPageLanguage) page_language = ow_server_page_language_begin (lang);
      g_autofree char *back = g_strdup_printf ("/t/%s", token);

      respond_html (msg, 400, ow_server_page_message (lang, _("Rating not recorded"),
                                                      _("Please choose one of the five levels."), back));
      return;
    }
  op = op_new (front, msg, run_rate, NULL);
  op->token = g_strdup (token);
  op->level = (int) level;
  op->comment = g_strdup (comment);
  op->redirect = g_strdup_printf ("/t/%s", token);
  op_submit (front, op);
}

static void
handle_status_page (Front             *front,
                    SoupServerMessage *msg,
                    const char        *token)
{
  const char *lang = page_language_of (msg);
  g_autoptr(JsonObject) ticket = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(OwPageLanguage) page_language = ow_server_page_language_begin (lang);

  ticket = ow_public_ticket (front->hall, token, &error);
  if (ticket == NULL)
    {
      if (g_error_matches (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND))
        respond_html (msg, 404, ow_server_page_message (lang, _("No such ticket"),
                                                        _("Please check the link on your ticket."), NULL));
      else
        respond_gerror (msg, error);
      return;
    }
  respond_html (msg, 200, ow_server_page_ticket (ticket, token, lang));
}

static void
handle_audit (Front             *front,
              SoupServerMessage *msg,
              GHashTable        *query)
{
  g_autoptr(JsonArray) events = NULL;
  g_autoptr(JsonObject) result = json_object_new ();
  g_autoptr(GError) error = NULL;
  guint64 since, limit;

  if (!query_uint (msg, query, "since", G_MAXINT64, 0, &since) ||
      !query_uint (msg, query, "limit", AUDIT_LIMIT_MAX, 100, &limit))
    return;
  events = ow_feed_read (front->db, (gint64) since, (guint) limit, &error);
  if (events == NULL)
    {
      respond_gerror (msg, error);
      return;
    }
  json_object_set_int_member (result, "head_seq", ow_audit_head_seq (front->db));
  json_object_set_array_member (result, "events", g_steal_pointer (&events));
  respond_object (msg, 200, result);
}

/* Reports: a verify of the whole log, statistics over months.  They read for up to seconds,
 * so they run on their own thread and connection, one at a time: on an HTTP thread they held
 * up every counter and kiosk connected to that thread until they were done. */
typedef struct
{
  Front             *front;
  SoupServerMessage *msg;
  gulong             disconnected_id;
  gboolean           gone;
  gboolean           verify;     /* else statistics from..to */
  char              *from;
  char              *to;
  JsonObject        *result;
  GError            *error;
} Report;

static void
report_free (Report *report)
{
  g_signal_handler_disconnect (report->msg, report->disconnected_id);
  g_clear_object (&report->msg);
  g_free (report->from);
  g_free (report->to);
  g_clear_pointer (&report->result, json_object_unref);
  g_clear_error (&report->error);
  g_free (report);
}

static void
report_disconnected_cb (SoupServerMessage *msg,
                        Report            *report)
{
  report->gone = TRUE;
}

/* Back on the front that received the request. */
static gboolean
report_done_cb (gpointer data)
{
  Report *report = data;

  if (report->gone)
    return G_SOURCE_REMOVE;
  if (report->result == NULL)
    respond_gerror (report->msg, report->error);
  else
    respond_object (report->msg, 200, report->result);
  soup_server_message_unpause (report->msg);
  return G_SOURCE_REMOVE;
}

static JsonObject *
verify_report (OwDb    *db,
               GError **error)
{
  g_auto(OwAuditVerdict) verdict = { 0 };
  JsonObject *result;
  char head[OW_AUDIT_HASH_LEN * 2 + 1];

  if (!ow_audit_verify (db, 0, NULL, &verdict, error))
    return NULL;
  result = json_object_new ();
  json_object_set_boolean_member (result, "ok", verdict.ok);
  json_object_set_int_member (result, "events", verdict.events);
  json_object_set_int_member (result, "head_seq", verdict.head_seq);
  if (verdict.ok)
    {
      for (guint i = 0; i < OW_AUDIT_HASH_LEN; i++)
        g_snprintf (head + 2 * i, 3, "%02x", verdict.head[i]);
      json_object_set_string_member (result, "head", head);
    }
  else
    {
      json_object_set_int_member (result, "first_bad_seq", verdict.first_bad_seq);
      json_object_set_string_member (result, "reason", verdict.reason);
    }
  return result;
}

static JsonObject *
stats_report (OwServer    *self,
              const char  *from,
              const char  *to,
              GError     **error)
{
  g_autoptr(JsonObject) stats = ow_stats_query (self->report_db, self->clock, from, to, error);
  JsonObject *ratings;

  if (stats == NULL)
    return NULL;
  ratings = ow_public_rating_stats (self->report_hall, json_object_get_string_member_with_default (stats, "from", from),
                                    json_object_get_string_member_with_default (stats, "to", to), error);
  if (ratings == NULL)
    return NULL;
  json_object_set_object_member (stats, "ratings", ratings);
  return g_steal_pointer (&stats);
}

/* The report thread (a pool of one). */
static void
report_thread (gpointer data,
               gpointer user_data)
{
  OwServer *self = user_data;
  Report *report = data;

  if (report->verify)
    report->result = verify_report (self->report_db, &report->error);
  else
    report->result = stats_report (self, report->from, report->to, &report->error);
  g_main_context_invoke_full (report->front->context, G_PRIORITY_DEFAULT, report_done_cb, report,
                              (GDestroyNotify) report_free);
}

static void
report_submit (Front             *front,
               SoupServerMessage *msg,
               gboolean           verify,
               const char        *from,
               const char        *to)
{
  Report *report = g_new0 (Report, 1);

  report->front = front;
  report->msg = g_object_ref (msg);
  report->verify = verify;
  report->from = g_strdup (from);
  report->to = g_strdup (to);
  report->disconnected_id = g_signal_connect (msg, "disconnected", G_CALLBACK (report_disconnected_cb), report);
  if (!pool_push (front, &front->server->reports, REPORTS_WAITING_MAX, report, msg))
    {
      report_free (report);
      return;
    }
  soup_server_message_pause (msg);
}

static void
handle_verify (Front             *front,
               SoupServerMessage *msg)
{
  report_submit (front, msg, TRUE, NULL, NULL);
}

static void
handle_stats (Front             *front,
              SoupServerMessage *msg,
              GHashTable        *query)
{
  const char *from = query != NULL ? g_hash_table_lookup (query, "from") : NULL;
  const char *to = query != NULL ? g_hash_table_lookup (query, "to") : NULL;

  if ((from != NULL && !valid_day (from)) || (to != NULL && !valid_day (to)))
    {
      respond_error (msg, 400, "invalid", _("'from' and 'to' are days, YYYY-MM-DD"));
      return;
    }
  if (from == NULL)
    from = to;
  if (to == NULL)
    to = from;
  if (from != NULL && strcmp (from, to) > 0)
    {
      respond_error (msg, 400, "invalid", _("'from' is after 'to'"));
      return;
    }
  report_submit (front, msg, FALSE, from, to);
}

static void
respond_array (SoupServerMessage *msg,
               const char        *member,
               JsonArray         *array,
               const GError      *error)
{
  g_autoptr(JsonObject) result = NULL;

  if (array == NULL)
    {
      respond_gerror (msg, error);
      return;
    }
  result = json_object_new ();
  json_object_set_array_member (result, member, array);
  respond_object (msg, 200, result);
}

static void
handle_staff_add (Front             *front,
                  SoupServerMessage *msg,
                  OwAuthIdentity    *identity)
{
  g_autoptr(JsonObject) body = parse_body (msg, TRUE);
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *terminal = request_terminal (msg);
  const char *id, *name, *role, *pin;
  OwActor actor = { identity->actor, terminal };

  if (body == NULL ||
      !member_string (msg, body, "id", TRUE, 64, &id) ||
      !member_string (msg, body, "name", TRUE, 64, &name) ||
      !member_string (msg, body, "role", TRUE, 16, &role) ||
      !member_string (msg, body, "pin", TRUE, 16, &pin))
    return;
  /* On its own like a login: hashing the PIN takes a while on purpose. */
  if (!ow_hall_add_staff (front->hall, &actor, id, name, role, pin, &error))
    {
      respond_gerror (msg, error);
      return;
    }
  result = json_object_new ();
  json_object_set_string_member (result, "id", id);
  json_object_set_string_member (result, "role", role);
  respond_object (msg, 201, result);
  wake_fronts (front->server);
}

/* Counter staff read only the window they signed in at; supervisors and admins any. */
static gboolean
may_read_window (SoupServerMessage    *msg,
                 const OwAuthIdentity *who,
                 const char           *window)
{
  if (role_of (who) != ROLE_COUNTER || g_strcmp0 (who->window, window) == 0)
    return TRUE;
  respond_errorf (msg, 403, "forbidden", _("you are signed in at window %s, not %s"),
                  who->window != NULL ? who->window : "-", window);
  return FALSE;
}

/* Splits the path into percent-decoded segments; NULL when one is not valid UTF-8. */
static char **
path_segments (const char *path)
{
  g_auto(GStrv) raw = g_strsplit (path + (path[0] == '/'), "/", 8);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; raw[i] != NULL; i++)
    {
      char *segment = g_uri_unescape_string (raw[i], NULL);

      if (segment == NULL || !g_utf8_validate (segment, -1, NULL) || strlen (segment) > 256)
        {
          g_free (segment);
          return NULL;
        }
      g_ptr_array_add (out, segment);
    }
  /* A trailing slash is not a segment. */
  if (out->len > 0 && *(char *) g_ptr_array_index (out, out->len - 1) == '\0')
    g_ptr_array_remove_index (out, out->len - 1);
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

static gboolean
method_is (SoupServerMessage *msg,
           const char        *method,
           gboolean          *matched)
{
  *matched = TRUE;
  if (g_str_equal (soup_server_message_get_method (msg), method))
    return TRUE;
  respond_errorf (msg, 405, "method_not_allowed", _("use %s here"), method);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", method);
  return FALSE;
}

static void
handler_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           data)
{
  Front *front = data;
  g_auto(GStrv) seg = NULL;
  const char *method = soup_server_message_get_method (msg);
  gboolean get = g_str_equal (method, "GET");
  gboolean matched = FALSE;
  OwAuthIdentity *identity = NULL;
  guint n;

  if (query != NULL)
    {
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, query);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (!g_utf8_validate (key, -1, NULL) || !g_utf8_validate (value, -1, NULL))
          {
            respond_error (msg, 400, "invalid", _("the query is not valid UTF-8"));
            return;
          }
    }

  seg = path_segments (path);
  if (seg == NULL)
    {
      respond_error (msg, 400, "invalid", _("the path is not valid UTF-8"));
      return;
    }
  n = g_strv_length (seg);

#define ROUTE(cond) if (!matched && (cond))
#define NEED(m) if (!method_is (msg, m, &matched)) return
#define AUTH(roles) if (!authorize (front, msg, roles, &identity)) return
/* For the writes whose token the writer checks: only that there is one. */
#define NEED_TOKEN() if (bearer_token (msg) == NULL) { respond_no_token (msg); return; }

  ROUTE (n == 1 && g_str_equal (seg[0], "healthz"))
    {
      g_autoptr(JsonObject) result = json_object_new ();

      NEED ("GET");
      json_object_set_string_member (result, "status", "ok");
      respond_object (msg, 200, result);
      return;
    }

  ROUTE (n == 2 && g_str_equal (seg[0], "t"))
    {
      NEED ("GET");
      handle_status_page (front, msg, seg[1]);
      return;
    }

  ROUTE (n == 3 && g_str_equal (seg[0], "t") && g_str_equal (seg[2], "rating"))
    {
      NEED ("POST");
      handle_form_rating (front, msg, seg[1]);
      return;
    }

  if (n < 3 || !g_str_equal (seg[0], "api") || !g_str_equal (seg[1], "v1"))
    {
      respond_errorf (msg, 404, "not_found", _("nothing at %s"), path);
      return;
    }

  ROUTE (n == 3 && g_str_equal (seg[2], "login"))
    {
      NEED ("POST");
      handle_login (front, msg);
      return;
    }

  ROUTE (n == 3 && g_str_equal (seg[2], "logout"))
    {
      NEED ("POST");
      AUTH (ROLE_STAFF);
      op_submit (front, op_new (front, msg, run_logout, identity));
      return;
    }

  ROUTE (n == 3 && g_str_equal (seg[2], "catalog"))
    {
      g_autoptr(OwAuthIdentity) who = NULL;

      if (get)
        {
          g_autoptr(JsonObject) catalog = NULL;
          g_autoptr(GError) error = NULL;

          AUTH (ROLE_ANY);
          who = identity;
          catalog = ow_catalog_export (front->db, &error);
          if (catalog == NULL)
            respond_gerror (msg, error);
          else
            respond_object (msg, 200, catalog);
          return;
        }
      NEED ("PUT");
      AUTH (ROLE_ADMIN);
      {
        Op *op = op_new (front, msg, run_catalog_import, identity);
        g_autoptr(JsonObject) check = parse_body (msg, TRUE);

        if (check == NULL)
          {
            op_free (op);
            return;
          }
        op->body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
        op_submit (front, op);
      }
      return;
    }

  ROUTE (n == 3 && g_str_equal (seg[2], "tickets"))
    {
      NEED ("POST");
      NEED_TOKEN ();
      handle_issue (front, msg);
      refuse_unauthorized_first (front, msg, ROLE_KIOSK, NULL);
      return;
    }

  ROUTE (n == 4 && g_str_equal (seg[2], "tickets"))
    {
      g_autoptr(JsonObject) ticket = NULL;
      g_autoptr(GError) error = NULL;

      NEED ("GET");
      ticket = ow_public_ticket (front->hall, seg[3], &error);
      if (ticket == NULL)
        respond_gerror (msg, error);
      else
        respond_object (msg, 200, ticket);
      return;
    }

  ROUTE (n == 5 && g_str_equal (seg[2], "tickets") && g_str_equal (seg[4], "rating"))
    {
      NEED ("POST");
      handle_rating (front, msg, seg[3]);
      return;
    }

  ROUTE (n == 3 && g_str_equal (seg[2], "windows"))
    {
      g_autoptr(OwAuthIdentity) who = NULL;
      g_autoptr(GError) error = NULL;

      NEED ("GET");
      AUTH (ROLE_BOARD | ROLE_STAFF);
      who = identity;
      respond_array (msg, "windows", ow_hall_list_windows (front->hall, &error), error);
      return;
    }

  ROUTE (n == 4 && g_str_equal (seg[2], "windows"))
    {
      g_autoptr(OwAuthIdentity) who = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) window = NULL;
      JsonArray *waiting;

      NEED ("GET");
      AUTH (ROLE_STAFF);
      who = identity;
      if (!may_read_window (msg, who, seg[3]))
        return;
      window = ow_hall_get_window (front->hall, seg[3], &error);
      waiting = window != NULL ? ow_hall_list_waiting (front->hall, seg[3], &error) : NULL;
      if (waiting == NULL)
        {
          respond_gerror (msg, error);
          return;
        }
      json_object_set_array_member (window, "waiting_list", waiting);
      respond_object (msg, 200, window);
      return;
    }

  ROUTE (n == 5 && g_str_equal (seg[2], "windows") && get && g_str_equal (seg[4], "ticket"))
    {
      g_autoptr(OwAuthIdentity) who = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) result = NULL;
      JsonObject *ticket;

      AUTH (ROLE_STAFF);
      who = identity;
      if (!may_read_window (msg, who, seg[3]))
        return;
      ticket = ow_hall_window_ticket (front->hall, seg[3], &error);
      if (ticket == NULL && error != NULL)
        {
          respond_gerror (msg, error);
          return;
        }
      result = json_object_new ();
      if (ticket != NULL)
        json_object_set_object_member (result, "ticket", ticket);
      else
        json_object_set_null_member (result, "ticket");
      respond_object (msg, 200, result);
      return;
    }

  ROUTE (n == 5 && g_str_equal (seg[2], "windows"))
    {
      OwWindowAction action;

      /* A path that names no action is not there, whatever the method (a POST still answers
       * for its token first, below). */
      if (g_strcmp0 (soup_server_message_get_method (msg), "POST") != 0 &&
          !ow_hall_window_action_from_string (seg[4], &action))
        {
          respond_errorf (msg, 404, "not_found", _("no window action '%s'"), seg[4]);
          return;
        }
      NEED ("POST");
      NEED_TOKEN ();
      handle_window_action (front, msg, seg[3], seg[4]);
      /* An unknown action is a 404 even at another's window, as before the window check. */
      refuse_unauthorized_first (front, msg, ROLE_STAFF,
                                 soup_server_message_get_status (msg) == 404 ? NULL : seg[3]);
      return;
    }

  ROUTE (n == 3 && g_str_equal (seg[2], "queues"))
    {
      g_autoptr(OwAuthIdentity) who = NULL;
      g_autoptr(GError) error = NULL;

      NEED ("GET");
      AUTH (ROLE_ANY);
      who = identity;
      respond_array (msg, "queues", ow_hall_list_queues (front->hall, &error), error);
      return;
    }

  ROUTE (n == 3 && g_str_equal (seg[2], "audit"))
    {
      g_autoptr(OwAuthIdentity) who = NULL;

      NEED ("GET");
      AUTH (ROLE_SUPERVISOR | ROLE_ADMIN);
      who = identity;
      handle_audit (front, msg, query);
      return;
    }

  ROUTE (n == 4 && g_str_equal (seg[2], "audit") && g_str_equal (seg[3], "verify"))
    {
      g_autoptr(OwAuthIdentity) who = NULL;

      NEED ("GET");
      AUTH (ROLE_SUPERVISOR | ROLE_ADMIN);
      who = identity;
      handle_verify (front, msg);
      return;
    }

  ROUTE (n == 3 && g_str_equal (seg[2], "stats"))
    {
      g_autoptr(OwAuthIdentity) who = NULL;

      NEED ("GET");
      AUTH (ROLE_SUPERVISOR | ROLE_ADMIN);
      who = identity;
      handle_stats (front, msg, query);
      return;
    }

  /* The citizen brings the documents promised at a 容缺受理; staff scan the ticket's code. */
  ROUTE (n == 5 && g_str_equal (seg[2], "tickets") && g_str_equal (seg[4], "supply"))
    {
      g_autoptr(OwAuthIdentity) who = NULL;
      g_autoptr(JsonObject) body = NULL;
      char **documents = NULL;
      Op *op;

      NEED ("POST");
      AUTH (ROLE_STAFF);
      who = identity;
      body = parse_body (msg, FALSE);
      if (body == NULL ||
          (json_object_has_member (body, "documents") &&
           !member_string_array (msg, body, "documents", &documents)))
        return;
      op = op_new (front, msg, run_supply, g_steal_pointer (&who));
      op->token = g_strdup (seg[3]);
      op->missing = documents;
      op_submit (front, op);
      return;
    }

  ROUTE (n == 3 && g_str_equal (seg[2], "promises"))
    {
      g_autoptr(OwAuthIdentity) who = NULL;
      g_autoptr(GError) error = NULL;

      NEED ("GET");
      AUTH (ROLE_STAFF);
      who = identity;
      respond_array (msg, "promises", ow_hall_list_promises (front->hall, &error), error);
      return;
    }

  ROUTE (n == 3 && g_str_equal (seg[2], "followups"))
    {
      g_autoptr(OwAuthIdentity) who = NULL;
      g_autoptr(GError) error = NULL;
      const char *from = query != NULL ? g_hash_table_lookup (query, "from") : NULL;
      const char *to = query != NULL ? g_hash_table_lookup (query, "to") : NULL;
      const char *all = query != NULL ? g_hash_table_lookup (query, "all") : NULL;

      NEED ("GET");
      AUTH (ROLE_SUPERVISOR | ROLE_ADMIN);
      who = identity;
      if ((from != NULL && !valid_day (from)) || (to != NULL && !valid_day (to)))
        {
          respond_error (msg, 400, "invalid", _("'from' and 'to' are days, YYYY-MM-DD"));
          return;
        }
      if (from != NULL && to != NULL && strcmp (from, to) > 0)
        {
          respond_error (msg, 400, "invalid", _("'from' is after 'to'"));
          return;
        }
      respond_array (msg, "followups",
                     ow_followup_list (front->hall, g_strcmp0 (all, "1") == 0 || g_strcmp0 (all, "true") == 0,
                                       from, to, &error),
                     error);
      return;
    }

  ROUTE (n == 4 && g_str_equal (seg[2], "followups"))
    {
      NEED ("POST");
      AUTH (ROLE_STAFF);
      handle_followup (front, msg, identity, seg[3]);
      return;
    }

  ROUTE (n == 3 && g_str_equal (seg[2], "staff"))
    {
      g_autoptr(OwAuthIdentity) who = NULL;

      if (get)
        {
          g_autoptr(GError) error = NULL;

          AUTH (ROLE_ADMIN);
          who = identity;
          respond_array (msg, "staff", ow_hall_list_staff (front->hall, &error), error);
          return;
        }
      NEED ("POST");
      AUTH (ROLE_ADMIN);
      who = identity;
      handle_staff_add (front, msg, who);
      return;
    }

  ROUTE (n == 3 && g_str_equal (seg[2], "devices"))
    {
      g_autoptr(OwAuthIdentity) who = NULL;
      g_autoptr(JsonObject) body = NULL;
      const char *name, *role;
      Op *op;

      if (get)
        {
          g_autoptr(GError) error = NULL;

          AUTH (ROLE_ADMIN);
          who = identity;
          respond_array (msg, "devices", ow_auth_device_list (front->hall, &error), error);
          return;
        }
      NEED ("POST");
      AUTH (ROLE_ADMIN);
      who = identity;
      body = parse_body (msg, TRUE);
      if (body == NULL ||
          !member_string (msg, body, "name", TRUE, 64, &name) ||
          !member_string (msg, body, "role", TRUE, 16, &role))
        return;
      op = op_new (front, msg, run_device_add, g_steal_pointer (&who));
      op->window = g_strdup (name);
      op->service = g_strdup (role);
      op_submit (front, op);
      return;
    }

  ROUTE (n == 5 && g_str_equal (seg[2], "devices") && g_str_equal (seg[4], "revoke"))
    {
      Op *op;

      NEED ("POST");
      AUTH (ROLE_ADMIN);
      op = op_new (front, msg, run_device_revoke, identity);
      op->window = g_strdup (seg[3]);
      op_submit (front, op);
      return;
    }

#undef ROUTE
#undef NEED
#undef AUTH
#undef NEED_TOKEN

  if (!matched)
    respond_errorf (msg, 404, "not_found", _("nothing at %s"), path);
}

/* Fronts */

static void
front_free (Front *front)
{
  g_assert (front->thread == NULL);
  g_clear_object (&front->socket);
  g_clear_object (&front->hall);
  g_clear_object (&front->db);
  g_clear_pointer (&front->subscribers, g_ptr_array_unref);
  g_clear_pointer (&front->connections, g_hash_table_unref);
  g_clear_pointer (&front->context, g_main_context_unref);
  g_clear_error (&front->start_error);
  g_free (front);
}

static void
front_started (Front  *front,
               GError *error)
{
  OwServer *self = front->server;

  g_mutex_lock (&self->lock);
  front->start_error = error;
  front->started = TRUE;
  g_cond_broadcast (&self->idle);
  g_mutex_unlock (&self->lock);
}

/* A front's thread: its own context, libsoup server and read connection. */
static gpointer
front_main (gpointer data)
{
  Front *front = data;
  OwServer *self = front->server;
  GError *error = NULL;

  g_main_context_push_thread_default (front->context);
  front->soup = soup_server_new ("server-header", "onewindow/" PACKAGE_VERSION " ",
                                 "tls-certificate", self->certificate,
                                 NULL);
  soup_server_add_early_handler (front->soup, NULL, early_cb, front, NULL);
  soup_server_add_early_handler (front->soup, "/api/v1/events", early_cb, front, NULL);
  soup_server_add_handler (front->soup, NULL, handler_cb, front, NULL);
  soup_server_add_handler (front->soup, "/api/v1/events", events_cb, front, NULL);
  g_signal_connect (front->soup, "request-started", G_CALLBACK (request_started_cb), front);
  g_signal_connect (front->soup, "request-finished", G_CALLBACK (request_finished_cb), front);
  g_signal_connect (front->soup, "request-aborted", G_CALLBACK (request_ended_cb), front);
  if (!soup_server_listen_socket (front->soup, front->socket,
                                  self->certificate != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0, &error))
    {
      g_clear_object (&front->soup);
      g_main_context_pop_thread_default (front->context);
      front_started (front, error);
      return NULL;
    }
  /* Other processes (the CLI) may append to the log too. */
  front->poll_source = front_attach (front, g_timeout_source_new (POLL_INTERVAL_MS), poll_cb);
  front->loop = g_main_loop_new (front->context, FALSE);
  front_started (front, NULL);

  g_main_loop_run (front->loop);

  /* Whatever was handed to this front on the way out still runs, then the server goes. */
  while (g_main_context_iteration (front->context, FALSE))
    ;
  g_clear_object (&front->soup);
  while (g_main_context_iteration (front->context, FALSE))
    ;
  g_clear_pointer (&front->loop, g_main_loop_unref);
  g_main_context_pop_thread_default (front->context);
  return NULL;
}

/* On the front's thread, once every write has been answered: closes the event streams,
 * stops listening, ends the loop. */
static gboolean
front_stop_cb (gpointer data)
{
  Front *front = data;

  front_wake_cb (front);
  if (front->poll_source != NULL)
    g_source_destroy (front->poll_source);
  g_clear_pointer (&front->poll_source, g_source_unref);
  if (front->catchup_source != NULL)
    g_source_destroy (front->catchup_source);
  g_clear_pointer (&front->catchup_source, g_source_unref);
  while (front->subscribers->len > 0)
    {
      Subscriber *sub = g_ptr_array_steal_index (front->subscribers, front->subscribers->len - 1);

      ow_web_socket_close (sub->ws, OW_WEB_SOCKET_CLOSE_GOING_AWAY, "server stopping");
      subscriber_free (sub);
    }
  soup_server_disconnect (front->soup);
  g_main_loop_quit (front->loop);
  return G_SOURCE_REMOVE;
}

/* Object */

static void
ow_server_dispose (GObject *object)
{
  OwServer *self = OW_SERVER (object);

  ow_server_stop (self);
  g_clear_pointer (&self->fronts, g_ptr_array_unref);
  g_clear_object (&self->writer_hall);
  g_clear_object (&self->writer_db);
  g_clear_object (&self->login_hall);
  g_clear_object (&self->login_db);
  g_clear_object (&self->report_hall);
  g_clear_object (&self->report_db);
  /* After the connections it watches. */
  g_clear_pointer (&self->checkpointer, ow_checkpointer_free);
  g_clear_object (&self->clock);
  g_clear_object (&self->certificate);
  G_OBJECT_CLASS (ow_server_parent_class)->dispose (object);
}

static void
ow_server_finalize (GObject *object)
{
  OwServer *self = OW_SERVER (object);

  g_clear_pointer (&self->committed.ms, g_array_unref);
  g_clear_pointer (&self->answered.ms, g_array_unref);
  g_clear_pointer (&self->read.ms, g_array_unref);
  g_clear_pointer (&self->whole.ms, g_array_unref);
  for (guint i = 0; i < FEED_KEPT; i++)
    feed_entry_clear (&self->feed[i]);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->feed_lock);
  g_cond_clear (&self->wake);
  g_cond_clear (&self->idle);
  g_free (self->db_path);
  g_free (self->listen);
  g_free (self->url);
  G_OBJECT_CLASS (ow_server_parent_class)->finalize (object);
}

static void
ow_server_class_init (OwServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ow_server_dispose;
  object_class->finalize = ow_server_finalize;
}

static void
ow_server_init (OwServer *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->feed_lock);
  g_cond_init (&self->wake);
  g_cond_init (&self->idle);
  g_queue_init (&self->pending);
  self->timing = g_quark_from_static_string ("ow-write-timing");
  self->fronts = g_ptr_array_new_with_free_func ((GDestroyNotify) front_free);
}

OwServer *
ow_server_new (const OwServerOptions  *options,
               GError                **error)
{
  g_autoptr(OwServer) self = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;

  g_return_val_if_fail (options != NULL && options->db_path != NULL, NULL);

  if ((options->tls_cert == NULL) != (options->tls_key == NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "--tls-cert and --tls-key go together");
      return NULL;
    }
  if (options->tls_cert != NULL)
    {
      certificate = g_tls_certificate_new_from_files (options->tls_cert, options->tls_key, error);
      if (certificate == NULL)
        return NULL;
    }

  self = g_object_new (OW_TYPE_SERVER, NULL);
  self->db_path = g_strdup (options->db_path);
  /* The shipped programs use the real clock only. */
  self->clock = ow_clock_new_system ();
  self->writer_db = ow_db_open (options->db_path, error);
  if (self->writer_db == NULL)
    return NULL;
  self->writer_hall = ow_hall_new (self->writer_db, self->clock);
  self->feed_seq = self->feed_read_seq = ow_audit_head_seq (self->writer_db);
  self->login_db = ow_db_open (options->db_path, error);
  if (self->login_db == NULL)
    return NULL;
  self->login_hall = ow_hall_new (self->login_db, self->clock);
  self->report_db = ow_db_open (options->db_path, error);
  if (self->report_db == NULL)
    return NULL;
  self->report_hall = ow_hall_new (self->report_db, self->clock);
  self->checkpointer = ow_checkpointer_new (options->db_path, error);
  if (self->checkpointer == NULL)
    return NULL;
  ow_checkpointer_watch (self->checkpointer, self->writer_db);
  ow_checkpointer_watch (self->checkpointer, self->login_db);
  self->listen = g_strdup (options->listen != NULL ? options->listen : "127.0.0.1:8080");
  self->group_commit = !options->no_group_commit;
  self->keepalive_s = options->keepalive_s > 0 ? options->keepalive_s : KEEPALIVE_DEFAULT_S;
  self->certificate = g_steal_pointer (&certificate);
  self->n_fronts = options->http_threads > 0 ? options->http_threads
                                             : CLAMP (g_get_num_processors (), 1, FRONTS_DEFAULT_MAX);
  self->n_fronts = MIN (self->n_fronts, FRONTS_MAX);

  for (guint i = 0; i < self->n_fronts; i++)
    {
      Front *front = g_new0 (Front, 1);

      front->server = self;
      front->db = ow_db_open (options->db_path, error);
      if (front->db == NULL)
        {
          front_free (front);
          return NULL;
        }
      /* Without a memory map.  A read transaction that finds the database changed since
       * its last one drops the whole map, and the fronts' connections find it changed
       * before nearly every request: unmapping and faulting pages back in took a tenth of
       * the server's time under load.  The long reads keep the map: they run on the
       * report thread's connection. */
      if (!ow_db_exec (front->db, "PRAGMA mmap_size = 0", error))
        {
          front_free (front);
          return NULL;
        }
      front->hall = ow_hall_new (front->db, self->clock);
      front->context = g_main_context_new ();
      front->subscribers = g_ptr_array_new_with_free_func ((GDestroyNotify) subscriber_free);
      front->connections = g_hash_table_new_full (NULL, NULL, g_object_unref, g_free);
      front->broadcast_seq = ow_audit_head_seq (front->db);
      g_queue_init (&front->answered);
      g_ptr_array_add (self->fronts, front);
    }
  return g_steal_pointer (&self);
}

static gboolean
parse_listen (const char  *text,
              char       **host,
              guint16     *port,
              GError     **error)
{
  const char *colon = strrchr (text, ':');
  guint64 value;

  if (colon == NULL || colon == text ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &value, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "--listen takes HOST:PORT, not '%s'", text);
      return FALSE;
    }
  if (text[0] == '[' && colon[-1] == ']')
    *host = g_strndup (text + 1, colon - text - 2);
  else
    *host = g_strndup (text, colon - text);
  *port = (guint16) value;
  return TRUE;
}

/* A listening socket on @address that shares its port with the other fronts' sockets. */
static GSocket *
listen_socket (GSocketAddress  *address,
               GError         **error)
{
  g_autoptr(GSocket) socket = NULL;
  struct sockaddr_storage native;

  socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  /* Our own socket, for its backlog: GLib's default of 10 drops the SYNs of a hall's counters
   * reconnecting together, and each dropped one waits a second before it tries again. */
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  /* Not g_socket_bind (): it turns SO_REUSEPORT off for stream sockets. */
  if (!g_socket_set_option (socket, SOL_SOCKET, SO_REUSEADDR, 1, error) ||
      !g_socket_set_option (socket, SOL_SOCKET, SO_REUSEPORT, 1, error) ||
      !g_socket_address_to_native (address, &native, sizeof native, error))
    return NULL;
  if (bind (g_socket_get_fd (socket), (struct sockaddr *) &native, g_socket_address_get_native_size (address)) != 0)
    {
      int saved = errno;
      g_autofree char *text = g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (address));

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Error binding to address %s: %s",
                   text, g_strerror (saved));
      return NULL;
    }
  if (!g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}

/* Tickets carry the catalogue's hall.status_base_url in their QR code.  Its default,
 * http://127.0.0.1:8080, suits one machine; a server that listens for the hall's network
 * with it left so hands citizens a link their phones cannot open. */
static void
warn_unreachable_status_url (OwServer     *self,
                             GInetAddress *listening)
{
  g_autofree char *base = ow_db_get_setting (self->writer_db, "status_base_url");
  g_autoptr(GUri) uri = base != NULL ? g_uri_parse (base, G_URI_FLAGS_NONE, NULL) : NULL;
  g_autoptr(GInetAddress) target = NULL;
  const char *host;

  if (uri == NULL || g_inet_address_get_is_loopback (listening) || (host = g_uri_get_host (uri)) == NULL)
    return;
  target = g_inet_address_new_from_string (host);
  if (g_ascii_strcasecmp (host, "localhost") == 0 || (target != NULL && g_inet_address_get_is_loopback (target)))
    g_message ("tickets link citizens' phones to %s, this machine only: set the catalogue's "
               "hall.status_base_url to the address phones reach this server by", base);
}

gboolean
ow_server_start (OwServer  *self,
                 GError   **error)
{
  g_autofree char *host = NULL;
  g_autofree char *host_text = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  GInetAddress *inet;
  guint16 port;

  g_return_val_if_fail (OW_IS_SERVER (self), FALSE);
  g_return_val_if_fail (self->writer == NULL, FALSE);

  if (!parse_listen (self->listen, &host, &port, error))
    return FALSE;
  address = g_inet_socket_address_new_from_string (host, port);
  if (address == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "--listen: '%s' is not an IP address", host);
      return FALSE;
    }

  /* The first socket picks the port when asked for 0; the others share it. */
  for (guint i = 0; i < self->fronts->len; i++)
    {
      Front *front = g_ptr_array_index (self->fronts, i);

      front->socket = listen_socket (bound != NULL ? bound : address, error);
      if (front->socket == NULL)
        return FALSE;
      if (bound == NULL)
        {
          bound = g_socket_get_local_address (front->socket, error);
          if (bound == NULL)
            return FALSE;
        }
    }
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (bound));
  host_text = g_inet_address_to_string (inet);
  self->url = g_strdup_printf (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6 ? "%s://[%s]:%u"
                                                                                        : "%s://%s:%u",
                               self->certificate != NULL ? "https" : "http", host_text,
                               g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  warn_unreachable_status_url (self, inet);

  self->writer = g_thread_new ("ow-writer", writer_main, self);
  self->logins = g_thread_pool_new (login_thread, self, 1, FALSE, NULL);
  g_thread_pool_push (self->logins, &prepare_pin_checks, NULL);
  self->reports = g_thread_pool_new (report_thread, self, 1, FALSE, NULL);
  for (guint i = 0; i < self->fronts->len; i++)
    {
      Front *front = g_ptr_array_index (self->fronts, i);
      g_autofree char *name = g_strdup_printf ("ow-http-%u", i);
      gboolean failed;

      front->thread = g_thread_new (name, front_main, front);
      g_mutex_lock (&self->lock);
      while (!front->started)
        g_cond_wait (&self->idle, &self->lock);
      failed = front->start_error != NULL;
      g_mutex_unlock (&self->lock);
      if (failed)
        {
          g_propagate_error (error, g_steal_pointer (&front->start_error));
          g_thread_join (g_steal_pointer (&front->thread));
          return FALSE;
        }
    }
  return TRUE;
}

const char *
ow_server_get_url (OwServer *self)
{
  g_return_val_if_fail (OW_IS_SERVER (self), NULL);
  return self->url;
}

void
ow_server_stop (OwServer *self)
{
  GThreadPool *logins, *reports;
  gboolean running;

  g_return_if_fail (OW_IS_SERVER (self));

  running = self->writer != NULL;

  /* Sign-ins and reports already received finish and are answered; later ones get 503. */
  g_mutex_lock (&self->lock);
  logins = g_steal_pointer (&self->logins);
  reports = g_steal_pointer (&self->reports);
  g_mutex_unlock (&self->lock);
  if (logins != NULL)
    g_thread_pool_free (logins, FALSE, TRUE);
  if (reports != NULL)
    g_thread_pool_free (reports, FALSE, TRUE);

  /* Every queued operation still commits and is answered before the server goes. */
  if (self->writer != NULL)
    {
      g_mutex_lock (&self->lock);
      while (!g_queue_is_empty (&self->pending) || self->writer_busy)
        g_cond_wait (&self->idle, &self->lock);
      g_mutex_unlock (&self->lock);
    }

  for (guint i = 0; self->fronts != NULL && i < self->fronts->len; i++)
    {
      Front *front = g_ptr_array_index (self->fronts, i);

      if (front->thread == NULL)
        continue;
      g_main_context_invoke (front->context, front_stop_cb, front);
      g_thread_join (g_steal_pointer (&front->thread));
    }

  if (self->writer != NULL)
    {
      g_mutex_lock (&self->lock);
      self->writer_stopping = TRUE;
      g_cond_signal (&self->wake);
      g_mutex_unlock (&self->lock);
      g_thread_join (g_steal_pointer (&self->writer));
    }

  if (!running)
    return;
  if (self->batches > 0)
    g_message ("group commit: %" G_GUINT64_FORMAT " batches, %.1f writes per commit on average",
               self->batches, (double) self->batched_ops / self->batches);
  time_ring_report (&self->committed, "writes from queued to committed");
  time_ring_report (&self->answered, "writes from queued to answered");
  time_ring_report (&self->read, "writes from their headers to queued");
  time_ring_report (&self->whole, "writes from their headers to the answer written");
  if (self->checkpointer != NULL)
    g_message ("background checkpoints: %" G_GUINT64_FORMAT, ow_checkpointer_get_count (self->checkpointer));
}
