/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ow-core.h"

G_BEGIN_DECLS

/* The citizen's status page for @ticket (an ow_public_ticket () object) in @lang ("zh_CN" or
 * "en").  Returns UTF-8 HTML. */
char       *ow_server_page_ticket     (JsonObject  *ticket,
                                       const char  *token,
                                       const char  *lang);
/* A small page with a title and a sentence, for 404s and bad input, and a link to @back
 * (the citizen's ticket page) unless it is NULL. */
char       *ow_server_page_message    (const char  *lang,
                                       const char  *title,
                                       const char  *text,
                                       const char  *back);
/* "zh_CN" or "en", from an Accept-Language header (NULL allowed). */
const char *ow_server_pick_language   (const char  *accept_language);
/* Remembers the server's own language (LANGUAGE at start-up).  Call once, before any thread
 * starts. */
void        ow_server_init_language   (void);
/* gettext translates into @lang until the guard is ended, then into the server's language
 * again.  The language is the process's: pages take turns (a lock) meanwhile. */
typedef struct _OwPageLanguage OwPageLanguage;
OwPageLanguage *ow_server_page_language_begin (const char     *lang);
void            ow_server_page_language_end   (OwPageLanguage *guard);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwPageLanguage, ow_server_page_language_end)

/* The server's end of a WebSocket after the upgrade (ow-server-ws.c): queues text messages
 * and writes them together, answers pings, pings every @keepalive_s seconds (0: never),
 * closes on a client's message over @max_payload bytes, and drops a client with 8 MiB
 * queued that it does not read, or one that stopped answering its pings. */
typedef struct _OwWebSocket OwWebSocket;
typedef void (*OwWebSocketFunc) (OwWebSocket *ws,
                                 gpointer     data);
#define OW_WEB_SOCKET_CLOSE_GOING_AWAY 1001
#define OW_WEB_SOCKET_CLOSE_PROTOCOL_ERROR 1002
#define OW_WEB_SOCKET_CLOSE_INVALID_DATA 1007
#define OW_WEB_SOCKET_CLOSE_TOO_BIG 1009
/* @closed_func runs from the main loop once the connection has ended, and may free @ws;
 * @drained_func runs whenever all that was queued has been written, and must not. */
OwWebSocket *ow_web_socket_new        (GIOStream       *stream,
                                       guint            keepalive_s,
                                       gsize            max_payload,
                                       OwWebSocketFunc  closed_func,
                                       OwWebSocketFunc  drained_func,
                                       gpointer         data);
/* Neither ended nor closing. */
gboolean     ow_web_socket_is_open    (OwWebSocket     *ws);
/* Bytes queued and not yet written. */
gsize        ow_web_socket_get_queued (OwWebSocket     *ws);
/* Queues a message of valid UTF-8; ow_web_socket_flush () sends what is queued. */
void         ow_web_socket_queue_text (OwWebSocket     *ws,
                                       const char      *text,
                                       gsize            length);
void         ow_web_socket_flush      (OwWebSocket     *ws);
void         ow_web_socket_close      (OwWebSocket     *ws,
                                       guint16          code,
                                       const char      *reason);
void         ow_web_socket_free       (OwWebSocket     *ws);

G_END_DECLS
