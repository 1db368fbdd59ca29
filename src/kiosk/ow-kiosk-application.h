/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define OW_TYPE_KIOSK_APPLICATION (ow_kiosk_application_get_type ())
G_DECLARE_FINAL_TYPE (OwKioskApplication, ow_kiosk_application, OW, KIOSK_APPLICATION, AdwApplication)

OwKioskApplication *ow_kiosk_application_new (void);

G_END_DECLS
