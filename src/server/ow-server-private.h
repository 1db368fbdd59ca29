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
/* Makes gettext translate into @lang from now on.  Process-wide: callers hold a lock from
 * this call until their text is made. */
void        ow_server_use_language    (const char  *lang);

G_END_DECLS
