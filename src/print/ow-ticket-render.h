/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ow-db.h"

G_BEGIN_DECLS

#define OW_TICKET_ERROR (ow_ticket_error_quark ())

typedef enum
{
  OW_TICKET_ERROR_FAILED,     /* cairo could not write the PDF */
  OW_TICKET_ERROR_INVALID,    /* the TICKET lacks its number or token, or no status URL */
} OwTicketError;

typedef enum
{
  OW_TICKET_PAPER_ROLL_80MM,  /* 80 mm wide, as long as the ticket */
  OW_TICKET_PAPER_A4,         /* the same ticket centred at the top of an A4 page */
} OwTicketPaper;

#define OW_TICKET_ROLL_WIDTH_PT (80.0 / 25.4 * 72.0)
#define OW_TICKET_A4_WIDTH_PT   (210.0 / 25.4 * 72.0)
#define OW_TICKET_A4_HEIGHT_PT  (297.0 / 25.4 * 72.0)

#define OW_TYPE_TICKET_PAPER (ow_ticket_paper_get_type ())
GType ow_ticket_paper_get_type (void);

/* A renderer keeps its own Pango font map between tickets: keep one per thread (the kiosk keeps
 * one for its life) and do not share it between threads. */
#define OW_TYPE_TICKET_RENDERER (ow_ticket_renderer_get_type ())
G_DECLARE_FINAL_TYPE (OwTicketRenderer, ow_ticket_renderer, OW, TICKET_RENDERER, GObject)

GQuark            ow_ticket_error_quark                  (void);

OwTicketRenderer *ow_ticket_renderer_new                 (void);
/* Takes the hall's name, status base URL and no-show rule from the hall's settings. */
OwTicketRenderer *ow_ticket_renderer_new_for_db          (OwDb             *db);

JsonObject       *ow_ticket_renderer_get_hall_name       (OwTicketRenderer *self);
void              ow_ticket_renderer_set_hall_name       (OwTicketRenderer *self,
                                                          JsonObject       *hall_name);
const char       *ow_ticket_renderer_get_status_base_url (OwTicketRenderer *self);
void              ow_ticket_renderer_set_status_base_url (OwTicketRenderer *self,
                                                          const char       *url);
guint             ow_ticket_renderer_get_no_show_limit   (OwTicketRenderer *self);
void              ow_ticket_renderer_set_no_show_limit   (OwTicketRenderer *self,
                                                          guint             limit);
const char       *ow_ticket_renderer_get_language        (OwTicketRenderer *self);
void              ow_ticket_renderer_set_language        (OwTicketRenderer *self,
                                                          const char       *language);
OwTicketPaper     ow_ticket_renderer_get_paper           (OwTicketRenderer *self);
void              ow_ticket_renderer_set_paper           (OwTicketRenderer *self,
                                                          OwTicketPaper     paper);

/* The URL the ticket's QR code holds: the ticket's own "status_url" when the server added one,
 * else <status base URL>/t/<token>.  NULL with @error set when neither is known. */
char             *ow_ticket_renderer_get_status_url      (OwTicketRenderer *self,
                                                          JsonObject       *ticket,
                                                          GError          **error);

/* Renders a TICKET object (docs/CLI.md) to a one-page PDF. */
GBytes           *ow_ticket_renderer_render              (OwTicketRenderer *self,
                                                          JsonObject       *ticket,
                                                          GError          **error);
gboolean          ow_ticket_renderer_render_to_file      (OwTicketRenderer *self,
                                                          JsonObject       *ticket,
                                                          const char       *path,
                                                          GError          **error);

G_END_DECLS
