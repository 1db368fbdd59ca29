/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "ow-db.h"

G_BEGIN_DECLS

/* Up to @limit events of the audit log after @since_seq, oldest first, as the objects of
 * ow_audit_event_to_json (): what the hall server streams to its clients. */
JsonArray *ow_feed_read (OwDb    *db,
                         gint64   since_seq,
                         guint    limit,
                         GError **error);

G_END_DECLS
