/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A printed ticket carries two languages at once, whatever the process's locale: this looks
 * @msgid up in the "onewindow" gettext catalogue of @lang ("zh_CN"; "en" is the msgid
 * itself).  Mark the msgid with N_() so that xgettext finds it. */
const char *ow_print_gettext (const char *lang,
                              const char *msgid) G_GNUC_FORMAT (2);

G_END_DECLS
