/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define OW_CLIENT_ERROR (ow_client_error_quark ())

/* What went wrong talking to the hall server.  The message is the server's own when it
 * answered with an error object. */
typedef enum
{
  OW_CLIENT_ERROR_NETWORK,       /* no answer: server down, connection refused or cut */
  OW_CLIENT_ERROR_PROTOCOL,      /* an answer that is not the API's JSON */
  OW_CLIENT_ERROR_INVALID,       /* 400, 413, 422: the request was wrong */
  OW_CLIENT_ERROR_UNAUTHORIZED,  /* 401: no token, or it expired or was revoked: sign in */
  OW_CLIENT_ERROR_FORBIDDEN,     /* 403: this role or window may not do that */
  OW_CLIENT_ERROR_NOT_FOUND,     /* 404 */
  OW_CLIENT_ERROR_CONFLICT,      /* 409: the hall's state does not allow it now */
  OW_CLIENT_ERROR_LOCKED,        /* 423: too many wrong PINs */
  OW_CLIENT_ERROR_SERVER,        /* 5xx */
} OwClientError;

#define OW_TYPE_CLIENT (ow_client_get_type ())
G_DECLARE_FINAL_TYPE (OwClient, ow_client, OW, CLIENT, GObject)

GQuark      ow_client_error_quark     (void);
/* @base_url is the server's URL ("http://hall.local:8080"); @token may be NULL until a
 * login.  Everything is asynchronous on the thread-default main context of the caller. */
OwClient   *ow_client_new             (const char          *base_url,
                                       const char          *token);
const char *ow_client_get_base_url    (OwClient            *self);
const char *ow_client_get_token       (OwClient            *self);
void        ow_client_set_token       (OwClient            *self,
                                       const char          *token);
/* The server's error code ("window_busy", "locked", ...) of the last failed call, or NULL. */
const char *ow_client_get_last_error_code (OwClient        *self);

/* Any endpoint: @path after the base URL, @body NULL or a JSON object.  Every *_async below
 * finishes with ow_client_request_finish (), which returns the response object. */
void        ow_client_request_async   (OwClient            *self,
                                       const char          *method,
                                       const char          *path,
                                       JsonObject          *body,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
JsonObject *ow_client_request_finish  (OwClient            *self,
                                       GAsyncResult        *result,
                                       GError             **error);

/* Signs in and, on success, uses the session's token from then on.  @window may be NULL. */
void        ow_client_login_async     (OwClient            *self,
                                       const char          *staff,
                                       const char          *pin,
                                       const char          *window,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
void        ow_client_logout_async    (OwClient            *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
void        ow_client_get_catalog_async (OwClient          *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
void        ow_client_issue_ticket_async (OwClient         *self,
                                       const char          *service,
                                       gboolean             green,
                                       const char          *green_category,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
/* @action is "call", "recall", "no-show", "start", "complete", "return", "transfer", "pause"
 * or "resume"; @args NULL or {"missing": [...]}, {"to_step"|"to_window", "reason"}, {"reason"}. */
void        ow_client_window_act_async (OwClient           *self,
                                       const char          *window,
                                       const char          *action,
                                       JsonObject          *args,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
void        ow_client_get_window_async (OwClient           *self,
                                       const char          *window,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
void        ow_client_get_window_ticket_async (OwClient    *self,
                                       const char          *window,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
void        ow_client_list_windows_async (OwClient         *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
void        ow_client_list_queues_async (OwClient          *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
void        ow_client_get_ticket_async (OwClient           *self,
                                       const char          *token,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
void        ow_client_rate_async      (OwClient            *self,
                                       const char          *token,
                                       int                  level,
                                       const char          *comment,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
void        ow_client_get_audit_async (OwClient            *self,
                                       gint64               since,
                                       guint                limit,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
void        ow_client_verify_audit_async (OwClient         *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
void        ow_client_get_stats_async (OwClient            *self,
                                       const char          *from_day,
                                       const char          *to_day,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);

/* The event stream.  Emits ::event for every audit event in order, each once, reconnecting
 * by itself (with backoff) and resuming after the last sequence number it delivered.  @since
 * is the last event already known, or -1 for "from now on". */
void        ow_client_start_events    (OwClient            *self,
                                       gint64               since);
void        ow_client_stop_events     (OwClient            *self);
gboolean    ow_client_get_online      (OwClient            *self);
gint64      ow_client_get_last_seq    (OwClient            *self);

G_END_DECLS
