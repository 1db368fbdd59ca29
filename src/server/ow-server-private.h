/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ow-core.h"

G_BEGIN_DECLS

/* The citizen's status page for @ticket (an ow_public_ticket () object) in @lang ("zh_CN" or
 * "en").  Returns UTF-8 HTML. */
char       *ow_server_page_ticket     (JsonObject  *ticket,
                                       const char  *token,
                                       const char  *lang);
/* A small page with a title and a sentence, for 404s and bad input. */
char       *ow_server_page_message    (const char  *lang,
                                       const char  *title,
                                       const char  *text);
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

G_END_DECLS
