/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define OW_SHA256_LEN 32

/* SHA-256 of @data: the x86 SHA extensions when the processor has them, libsodium's
 * portable code otherwise.  The audit chain's speed is bound by this. */
void      ow_sha256              (const guint8 *data,
                                  gsize         len,
                                  guint8       *out);
gboolean  ow_sha256_accelerated  (void);

G_END_DECLS
