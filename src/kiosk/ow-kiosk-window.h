/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "ow-client.h"
#include "ow-kiosk-config.h"
#include "ow-printer.h"

G_BEGIN_DECLS

#define OW_TYPE_KIOSK_WINDOW (ow_kiosk_window_get_type ())
G_DECLARE_FINAL_TYPE (OwKioskWindow, ow_kiosk_window, OW, KIOSK_WINDOW, AdwApplicationWindow)

/* The kiosk: talks to the server through its own OwClient and prints with its own OwPrinter,
 * both made from @config (copied).  @application may be NULL (tests, benches). */
OwKioskWindow *ow_kiosk_window_new              (GtkApplication      *application,
                                                 const OwKioskConfig *config);
/* "loading", "home", "department", "service", "ticket" or "message" (notify::view). */
const char    *ow_kiosk_window_get_view         (OwKioskWindow       *self);
/* With the "message" view: "paused", "closed", "cap_reached", "unauthorized" or "failed". */
const char    *ow_kiosk_window_get_message_kind (OwKioskWindow       *self);
const char    *ow_kiosk_window_get_language     (OwKioskWindow       *self);
void           ow_kiosk_window_set_language     (OwKioskWindow       *self,
                                                 const char          *language);
/* The ticket on screen (the server's TICKET object), or NULL. */
JsonObject    *ow_kiosk_window_get_ticket       (OwKioskWindow       *self);
OwClient      *ow_kiosk_window_get_client       (OwKioskWindow       *self);
OwPrinter     *ow_kiosk_window_get_printer      (OwKioskWindow       *self);
/* Back to the home page, as after the idle timeout. */
void           ow_kiosk_window_go_home          (OwKioskWindow       *self);

G_END_DECLS
