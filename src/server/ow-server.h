/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  const char *db_path;
  const char *listen;          /* HOST:PORT; port 0 picks a free one */
  const char *tls_cert;        /* PEM files; both or neither */
  const char *tls_key;
  gboolean    no_group_commit; /* commit each write on its own (for measurements) */
  guint       keepalive_s;     /* WebSocket ping interval; 0 = the default */
  guint       http_threads;    /* HTTP threads; 0 = one per processor, at most 4 */
} OwServerOptions;

#define OW_TYPE_SERVER (ow_server_get_type ())
G_DECLARE_FINAL_TYPE (OwServer, ow_server, OW, SERVER, GObject)

OwServer   *ow_server_new     (const OwServerOptions  *options,
                               GError                **error);
gboolean    ow_server_start   (OwServer               *self,
                               GError                **error);
/* The URL the server listens on, e.g. "http://127.0.0.1:41234". */
const char *ow_server_get_url (OwServer               *self);
/* Answers what is pending, closes the event streams and stops listening. */
void        ow_server_stop    (OwServer               *self);

G_END_DECLS
