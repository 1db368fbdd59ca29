/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define OW_TYPE_COUNTER_APPLICATION (ow_counter_application_get_type ())
G_DECLARE_FINAL_TYPE (OwCounterApplication, ow_counter_application, OW, COUNTER_APPLICATION, AdwApplication)

/* `onewindow-counter --server URL --window WINDOW_ID [--printer QUEUE] [--config FILE]` */
OwCounterApplication *ow_counter_application_new (void);

G_END_DECLS
