/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "ow-db.h"
#include "ow-ticket-render.h"

G_BEGIN_DECLS

/* Renders @ticket with the hall's settings in @db, @language first, then either writes the
 * PDF to @output, or prints it on @queue (NULL: the CUPS default destination) and follows
 * the job until it completes.  Returns {"ticket": TICKET, "output": FILE} or
 * {"ticket": TICKET, "printer": QUEUE, "job": ID, "state": "completed"}.  The ticket itself
 * is never touched: a failed print loses nothing. */
JsonObject *ow_ticket_print     (OwDb           *db,
                                 JsonObject     *ticket,
                                 const char     *language,
                                 OwTicketPaper   paper,
                                 const char     *queue,
                                 const char     *output,
                                 GError        **error);

/* A short stable name for an error of the printing modules ("no_queue", ...), or NULL. */
const char *ow_print_error_code (const GError   *error);

G_END_DECLS
