/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "ow-db.h"

G_BEGIN_DECLS

#define OW_AUDIT_HASH_LEN 32

/* Who did something, as the log records it: "staff:ID", "device:NAME", "cli:OSUSER",
 * "system".  terminal is the machine or address it came from. */
typedef struct
{
  const char *actor;
  const char *terminal;
} OwActor;

typedef struct
{
  gint64      at;
  const char *actor;
  const char *terminal;
  const char *window;
  const char *ticket;
  gint64      ticket_id;   /* 0 when none */
  const char *action;
  const char *details;     /* JSON object text, as stored */
} OwAuditEvent;

typedef struct
{
  gboolean ok;
  gint64   events;
  gint64   head_seq;
  guint8   head[OW_AUDIT_HASH_LEN];
  gint64   first_bad_seq;  /* when !ok */
  char    *reason;         /* when !ok: what is wrong at first_bad_seq */
} OwAuditVerdict;

typedef enum
{
  OW_AUDIT_FORMAT_JSONL,
  OW_AUDIT_FORMAT_CSV,
} OwAuditFormat;

gboolean    ow_audit_append        (OwDb                *db,
                                    const OwAuditEvent  *event,
                                    gint64              *out_seq,
                                    GError             **error);
void        ow_audit_encode_event  (GByteArray          *out,
                                    const guint8        *prev_hash,
                                    gint64               seq,
                                    const OwAuditEvent  *event);
void        ow_audit_hash_event    (const guint8        *prev_hash,
                                    gint64               seq,
                                    const OwAuditEvent  *event,
                                    guint8              *out_hash);
gboolean    ow_audit_verify        (OwDb                *db,
                                    gint64               anchor_seq,
                                    const char          *anchor_hex,
                                    OwAuditVerdict      *verdict,
                                    GError             **error);
void        ow_audit_verdict_clear (OwAuditVerdict      *verdict);
gboolean    ow_audit_export        (OwDb                *db,
                                    OwAuditFormat        format,
                                    gint64               since_seq,
                                    GOutputStream       *out,
                                    GError             **error);
JsonObject *ow_audit_event_to_json (sqlite3_stmt        *row);
gint64      ow_audit_head_seq      (OwDb                *db);
gboolean    ow_audit_parse_anchor  (const char          *text,
                                    gint64              *seq,
                                    char               **hex,
                                    GError             **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (OwAuditVerdict, ow_audit_verdict_clear)

/* The columns ow_audit_event_to_json() expects, in order. */
#define OW_AUDIT_COLUMNS "seq, at, actor, terminal, window, ticket, ticket_id, action, details, hash"

G_END_DECLS
