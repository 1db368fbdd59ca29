/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  OW_KIOSK_PRINT_PRINTING,
  OW_KIOSK_PRINT_DONE,
  OW_KIOSK_PRINT_FAILED,
} OwKioskPrintState;

#define OW_TYPE_KIOSK_TICKET_PAGE (ow_kiosk_ticket_page_get_type ())
G_DECLARE_FINAL_TYPE (OwKioskTicketPage, ow_kiosk_ticket_page, OW, KIOSK_TICKET_PAGE, GtkBox)

GtkWidget  *ow_kiosk_ticket_page_new             (void);
/* Shows a TICKET as issued by the server (with "status_url" and "estimated_wait_s"). */
void        ow_kiosk_ticket_page_set_ticket      (OwKioskTicketPage *self,
                                                  JsonObject        *ticket,
                                                  JsonObject        *catalog);
JsonObject *ow_kiosk_ticket_page_get_ticket      (OwKioskTicketPage *self);
void        ow_kiosk_ticket_page_set_print_state (OwKioskTicketPage *self,
                                                  OwKioskPrintState  state,
                                                  const char        *message);
OwKioskPrintState ow_kiosk_ticket_page_get_print_state (OwKioskTicketPage *self);
void        ow_kiosk_ticket_page_set_portrait    (OwKioskTicketPage *self,
                                                  gboolean           portrait);

G_END_DECLS
