/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define OW_TYPE_KIOSK_QR (ow_kiosk_qr_get_type ())
G_DECLARE_FINAL_TYPE (OwKioskQr, ow_kiosk_qr, OW, KIOSK_QR, GtkWidget)

GtkWidget  *ow_kiosk_qr_new        (void);
const char *ow_kiosk_qr_get_text   (OwKioskQr  *self);
void        ow_kiosk_qr_set_text   (OwKioskQr  *self,
                                    const char *text);
/* The number of modules per side (without the quiet zone), 0 when there is no code. */
int         ow_kiosk_qr_get_width  (OwKioskQr  *self);

G_END_DECLS
