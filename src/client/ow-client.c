/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-client.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <string.h>

/* The apps' connection to the hall server: JSON calls over libsoup 3, and the event stream,
 * which survives a server restart or a cable pulled out: it reconnects with growing pauses
 * and asks for everything after the last event it delivered, so listeners see each event
 * once and in order. */

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 10000
#define KEEPALIVE_S 15

struct _OwClient
{
  GObject                  parent_instance;

  char                    *base_url;
  char                    *token;
  char                    *last_error_code;
  SoupSession             *session;

  gboolean                 events_wanted;
  gint64                   last_seq;
  gboolean                 online;
  SoupWebsocketConnection *conn;
  GCancellable            *connecting;
  guint                    reconnect_source;
  guint                    backoff_ms;
};

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_TOKEN,
  PROP_ONLINE,
  PROP_LAST_SEQ,
  N_PROPS
};

enum {
  SIGNAL_EVENT,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (OwClient, ow_client, G_TYPE_OBJECT)

G_DEFINE_QUARK (ow-client-error-quark, ow_client_error)

static void events_connect (OwClient *self);

/* Requests */

static OwClientError
error_for_status (guint status)
{
  switch (status)
    {
    case 401:
      return OW_CLIENT_ERROR_UNAUTHORIZED;
    case 403:
      return OW_CLIENT_ERROR_FORBIDDEN;
    case 404:
      return OW_CLIENT_ERROR_NOT_FOUND;
    case 409:
      return OW_CLIENT_ERROR_CONFLICT;
    case 423:
      return OW_CLIENT_ERROR_LOCKED;
    default:
      return status >= 500 ? OW_CLIENT_ERROR_SERVER : OW_CLIENT_ERROR_INVALID;
    }
}

static void
request_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  g_autoptr(GTask) task = data;
  OwClient *self = g_task_get_source_object (task);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *object;
  guint status;

  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (task, OW_CLIENT_ERROR, OW_CLIENT_ERROR_NETWORK,
                                 _("cannot reach the hall server: %s"), error->message);
      return;
    }

  status = soup_message_get_status (msg);
  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_task_return_new_error (task, OW_CLIENT_ERROR, status >= 500 ? OW_CLIENT_ERROR_SERVER : OW_CLIENT_ERROR_PROTOCOL,
                               _("the hall server answered %u without JSON"), status);
      return;
    }
  object = json_node_get_object (root);

  if (status >= 400)
    {
      JsonObject *err = json_object_get_object_member (object, "error");
      const char *code = err != NULL ? json_object_get_string_member_with_default (err, "code", NULL) : NULL;
      const char *message = err != NULL ? json_object_get_string_member_with_default (err, "message", NULL) : NULL;

      g_free (self->last_error_code);
      self->last_error_code = g_strdup (code);
      g_task_return_new_error (task, OW_CLIENT_ERROR, error_for_status (status), "%s",
                               message != NULL ? message : soup_status_get_phrase (status));
      return;
    }
  g_task_return_pointer (task, json_object_ref (object), (GDestroyNotify) json_object_unref);
}

void
ow_client_request_async (OwClient            *self,
                         const char          *method,
                         const char          *path,
                         JsonObject          *body,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *url = NULL;

  g_return_if_fail (OW_IS_CLIENT (self));
  g_return_if_fail (method != NULL && path != NULL && path[0] == '/');

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ow_client_request_async);
  url = g_strconcat (self->base_url, path, NULL);
  msg = soup_message_new (method, url);
  if (msg == NULL)
    {
      g_task_return_new_error (task, OW_CLIENT_ERROR, OW_CLIENT_ERROR_INVALID, "'%s' is not a URL", url);
      return;
    }
  /* libsoup opens a new connection for every POST unless told otherwise, because it cannot
   * tell whether a POST may be sent twice.  It never resends a POST by itself, flag or not,
   * so reusing the kept-alive connection cannot duplicate a ticket or a call; it saves a
   * TCP handshake (and the server's work for it) on every write. */
  soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);
  if (self->token != NULL)
    {
      g_autofree char *header = g_strconcat ("Bearer ", self->token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", header);
    }
  if (body != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), body);
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(GBytes) bytes = NULL;
      gsize length = 0;
      char *text;

      json_generator_set_root (generator, node);
      text = json_generator_to_data (generator, &length);
      bytes = g_bytes_new_take (text, length);
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    request_done_cb, g_steal_pointer (&task));
}

JsonObject *
ow_client_request_finish (OwClient      *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (OW_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
login_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  g_autoptr(GTask) task = data;
  OwClient *self = OW_CLIENT (source);
  g_autoptr(GError) error = NULL;
  JsonObject *object = ow_client_request_finish (self, result, &error);

  if (object == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  ow_client_set_token (self, json_object_get_string_member_with_default (object, "token", NULL));
  g_task_return_pointer (task, object, (GDestroyNotify) json_object_unref);
}

void
ow_client_login_async (OwClient            *self,
                       const char          *staff,
                       const char          *pin,
                       const char          *window,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(JsonObject) body = json_object_new ();
  GTask *task;

  g_return_if_fail (OW_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ow_client_login_async);
  json_object_set_string_member (body, "staff", staff);
  json_object_set_string_member (body, "pin", pin);
  if (window != NULL)
    json_object_set_string_member (body, "window", window);
  ow_client_request_async (self, "POST", "/api/v1/login", body, cancellable, login_done_cb, task);
}

void
ow_client_logout_async (OwClient            *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  ow_client_request_async (self, "POST", "/api/v1/logout", NULL, cancellable, callback, user_data);
}

void
ow_client_get_catalog_async (OwClient            *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  ow_client_request_async (self, "GET", "/api/v1/catalog", NULL, cancellable, callback, user_data);
}

void
ow_client_issue_ticket_async (OwClient            *self,
                              const char          *service,
                              gboolean             green,
                              const char          *green_category,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(JsonObject) body = json_object_new ();

  json_object_set_string_member (body, "service", service);
  json_object_set_boolean_member (body, "green", green);
  if (green && green_category != NULL)
    json_object_set_string_member (body, "green_category", green_category);
  ow_client_request_async (self, "POST", "/api/v1/tickets", body, cancellable, callback, user_data);
}

static char *
escape_segment (const char *segment)
{
  return g_uri_escape_string (segment != NULL ? segment : "", NULL, TRUE);
}

void
ow_client_window_act_async (OwClient            *self,
                            const char          *window,
                            const char          *action,
                            JsonObject          *args,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autofree char *w = escape_segment (window);
  g_autofree char *a = escape_segment (action);
  g_autofree char *path = g_strdup_printf ("/api/v1/windows/%s/%s", w, a);

  ow_client_request_async (self, "POST", path, args, cancellable, callback, user_data);
}

void
ow_client_get_window_async (OwClient            *self,
                            const char          *window,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autofree char *w = escape_segment (window);
  g_autofree char *path = g_strdup_printf ("/api/v1/windows/%s", w);

  ow_client_request_async (self, "GET", path, NULL, cancellable, callback, user_data);
}

/* {"ticket": TICKET with "history", or null}: what the window holds, for its staff. */
void
ow_client_get_window_ticket_async (OwClient            *self,
                                   const char          *window,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autofree char *w = escape_segment (window);
  g_autofree char *path = g_strdup_printf ("/api/v1/windows/%s/ticket", w);

  ow_client_request_async (self, "GET", path, NULL, cancellable, callback, user_data);
}

void
ow_client_list_windows_async (OwClient            *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  ow_client_request_async (self, "GET", "/api/v1/windows", NULL, cancellable, callback, user_data);
}

void
ow_client_list_queues_async (OwClient            *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  ow_client_request_async (self, "GET", "/api/v1/queues", NULL, cancellable, callback, user_data);
}

void
ow_client_get_ticket_async (OwClient            *self,
                            const char          *token,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autofree char *t = escape_segment (token);
  g_autofree char *path = g_strdup_printf ("/api/v1/tickets/%s", t);

  ow_client_request_async (self, "GET", path, NULL, cancellable, callback, user_data);
}

void
ow_client_rate_async (OwClient            *self,
                      const char          *token,
                      int                  level,
                      const char          *comment,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autofree char *t = escape_segment (token);
  g_autofree char *path = g_strdup_printf ("/api/v1/tickets/%s/rating", t);
  g_autoptr(JsonObject) body = json_object_new ();

  json_object_set_int_member (body, "level", level);
  if (comment != NULL)
    json_object_set_string_member (body, "comment", comment);
  ow_client_request_async (self, "POST", path, body, cancellable, callback, user_data);
}

void
ow_client_get_audit_async (OwClient            *self,
                           gint64               since,
                           guint                limit,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/audit?since=%" G_GINT64_FORMAT "&limit=%u",
                                           MAX (since, 0), limit);

  ow_client_request_async (self, "GET", path, NULL, cancellable, callback, user_data);
}

void
ow_client_verify_audit_async (OwClient            *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  ow_client_request_async (self, "GET", "/api/v1/audit/verify", NULL, cancellable, callback, user_data);
}

void
ow_client_get_stats_async (OwClient            *self,
                           const char          *from_day,
                           const char          *to_day,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GString) path = g_string_new ("/api/v1/stats");
  char sep = '?';

  if (from_day != NULL)
    {
      g_autofree char *from = escape_segment (from_day);

      g_string_append_printf (path, "%cfrom=%s", sep, from);
      sep = '&';
    }
  if (to_day != NULL)
    {
      g_autofree char *to = escape_segment (to_day);

      g_string_append_printf (path, "%cto=%s", sep, to);
    }
  ow_client_request_async (self, "GET", path->str, NULL, cancellable, callback, user_data);
}

/* Event stream */

static void
set_online (OwClient *self,
            gboolean  online)
{
  if (self->online == online)
    return;
  self->online = online;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ONLINE]);
}

static void
drop_connection (OwClient *self)
{
  if (self->conn == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->conn, self);
  if (soup_websocket_connection_get_state (self->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&self->conn);
}

static gboolean
reconnect_cb (gpointer data)
{
  OwClient *self = data;

  self->reconnect_source = 0;
  events_connect (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (OwClient *self)
{
  drop_connection (self);
  set_online (self, FALSE);
  if (!self->events_wanted || self->reconnect_source != 0)
    return;
  self->reconnect_source = g_timeout_add (self->backoff_ms, reconnect_cb, self);
  self->backoff_ms = MIN (self->backoff_ms * 2, BACKOFF_MAX_MS);
}

static void
message_cb (SoupWebsocketConnection *conn,
            int                      type,
            GBytes                  *message,
            OwClient                *self)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *event;
  gint64 seq;

  if (type != SOUP_WEBSOCKET_DATA_TEXT ||
      !json_parser_load_from_data (parser, g_bytes_get_data (message, NULL), g_bytes_get_size (message), NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_warning ("the hall server sent something that is not an event; reconnecting");
      schedule_reconnect (self);
      return;
    }
  event = json_node_get_object (root);
  seq = json_object_get_int_member_with_default (event, "seq", 0);
  if (seq <= self->last_seq)
    return;  /* seen already */
  if (self->last_seq >= 0 && seq != self->last_seq + 1)
    {
      /* A gap: ask again from the last event delivered. */
      schedule_reconnect (self);
      return;
    }
  self->last_seq = seq;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SEQ]);
  g_signal_emit (self, signals[SIGNAL_EVENT], 0, event);
}

static void
closed_cb (SoupWebsocketConnection *conn,
           OwClient                *self)
{
  schedule_reconnect (self);
}

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  OwClient *self = data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *conn;

  conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_object_unref (self);
      return;
    }
  g_clear_object (&self->connecting);
  if (conn == NULL)
    {
      g_debug ("event stream: %s", error->message);
      schedule_reconnect (self);
      g_object_unref (self);
      return;
    }

  if (self->last_seq < 0)
    {
      const char *since = soup_message_headers_get_one (soup_message_get_response_headers (msg), "OW-Since");

      if (since != NULL)
        self->last_seq = g_ascii_strtoll (since, NULL, 10);
    }
  self->conn = conn;
  self->backoff_ms = BACKOFF_MIN_MS;
  soup_websocket_connection_set_keepalive_interval (conn, KEEPALIVE_S);
  g_signal_connect (conn, "message", G_CALLBACK (message_cb), self);
  g_signal_connect (conn, "closed", G_CALLBACK (closed_cb), self);
  set_online (self, TRUE);
  g_object_unref (self);
}

static void
events_connect (OwClient *self)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *url = NULL;
  const char *rest;

  if (!self->events_wanted || self->conn != NULL || self->connecting != NULL)
    return;

  rest = g_str_has_prefix (self->base_url, "https://") ? self->base_url + 8 : self->base_url + 7;
  if (self->last_seq >= 0)
    url = g_strdup_printf ("%s://%s/api/v1/events?since=%" G_GINT64_FORMAT,
                           g_str_has_prefix (self->base_url, "https://") ? "wss" : "ws", rest, self->last_seq);
  else
    url = g_strdup_printf ("%s://%s/api/v1/events",
                           g_str_has_prefix (self->base_url, "https://") ? "wss" : "ws", rest);
  msg = soup_message_new ("GET", url);
  if (msg == NULL)
    {
      g_warning ("'%s' is not a URL", url);
      return;
    }
  if (self->token != NULL)
    {
      g_autofree char *header = g_strconcat ("Bearer ", self->token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", header);
    }
  self->connecting = g_cancellable_new ();
  soup_session_websocket_connect_async (self->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        self->connecting, connected_cb, g_object_ref (self));
}

void
ow_client_start_events (OwClient *self,
                        gint64    since)
{
  g_return_if_fail (OW_IS_CLIENT (self));

  ow_client_stop_events (self);
  self->events_wanted = TRUE;
  self->last_seq = since >= 0 ? since : -1;
  self->backoff_ms = BACKOFF_MIN_MS;
  events_connect (self);
}

void
ow_client_stop_events (OwClient *self)
{
  g_return_if_fail (OW_IS_CLIENT (self));

  self->events_wanted = FALSE;
  if (self->connecting != NULL)
    {
      g_cancellable_cancel (self->connecting);
      g_clear_object (&self->connecting);
    }
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  drop_connection (self);
  set_online (self, FALSE);
}

gboolean
ow_client_get_online (OwClient *self)
{
  g_return_val_if_fail (OW_IS_CLIENT (self), FALSE);
  return self->online;
}

gint64
ow_client_get_last_seq (OwClient *self)
{
  g_return_val_if_fail (OW_IS_CLIENT (self), -1);
  return self->last_seq;
}

/* Object */

const char *
ow_client_get_base_url (OwClient *self)
{
  g_return_val_if_fail (OW_IS_CLIENT (self), NULL);
  return self->base_url;
}

const char *
ow_client_get_token (OwClient *self)
{
  g_return_val_if_fail (OW_IS_CLIENT (self), NULL);
  return self->token;
}

void
ow_client_set_token (OwClient   *self,
                     const char *token)
{
  g_return_if_fail (OW_IS_CLIENT (self));

  if (g_strcmp0 (self->token, token) == 0)
    return;
  g_free (self->token);
  self->token = g_strdup (token);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOKEN]);
}

const char *
ow_client_get_last_error_code (OwClient *self)
{
  g_return_val_if_fail (OW_IS_CLIENT (self), NULL);
  return self->last_error_code;
}

static void
ow_client_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  OwClient *self = OW_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;
    case PROP_TOKEN:
      g_value_set_string (value, self->token);
      break;
    case PROP_ONLINE:
      g_value_set_boolean (value, self->online);
      break;
    case PROP_LAST_SEQ:
      g_value_set_int64 (value, self->last_seq);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_client_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  OwClient *self = OW_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      {
        g_autofree char *url = g_value_dup_string (value);

        /* No trailing slash: paths start with one. */
        while (url != NULL && g_str_has_suffix (url, "/"))
          url[strlen (url) - 1] = '\0';
        g_free (self->base_url);
        self->base_url = g_steal_pointer (&url);
        break;
      }
    case PROP_TOKEN:
      ow_client_set_token (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_client_dispose (GObject *object)
{
  OwClient *self = OW_CLIENT (object);

  ow_client_stop_events (self);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (ow_client_parent_class)->dispose (object);
}

static void
ow_client_finalize (GObject *object)
{
  OwClient *self = OW_CLIENT (object);

  g_free (self->base_url);
  g_free (self->token);
  g_free (self->last_error_code);
  G_OBJECT_CLASS (ow_client_parent_class)->finalize (object);
}

static void
ow_client_class_init (OwClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ow_client_get_property;
  object_class->set_property = ow_client_set_property;
  object_class->dispose = ow_client_dispose;
  object_class->finalize = ow_client_finalize;

  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOKEN] =
    g_param_spec_string ("token", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ONLINE] =
    g_param_spec_boolean ("online", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_SEQ] =
    g_param_spec_int64 ("last-seq", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * OwClient::event:
   * @event: the audit event, as the server's role filter leaves it
   *
   * Emitted for each event of the hall's audit log, in sequence, once.
   */
  signals[SIGNAL_EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
}

static void
ow_client_init (OwClient *self)
{
  self->last_seq = -1;
  self->backoff_ms = BACKOFF_MIN_MS;
  self->session = soup_session_new_with_options ("timeout", 30, NULL);
}

OwClient *
ow_client_new (const char *base_url,
               const char *token)
{
  g_return_val_if_fail (base_url != NULL, NULL);
  g_return_val_if_fail (g_str_has_prefix (base_url, "http://") || g_str_has_prefix (base_url, "https://"), NULL);

  return g_object_new (OW_TYPE_CLIENT, "base-url", base_url, "token", token, NULL);
}
