/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "ow-hall.h"

G_BEGIN_DECLS

#define OW_AUTH_ERROR (ow_auth_error_quark ())

typedef enum
{
  OW_AUTH_ERROR_UNKNOWN_TOKEN,   /* no such token, or not a token at all */
  OW_AUTH_ERROR_EXPIRED,         /* a staff session past its expiry */
  OW_AUTH_ERROR_REVOKED,         /* a revoked device or a signed-out session */
} OwAuthError;

typedef enum
{
  OW_AUTH_DEVICE,
  OW_AUTH_STAFF,
} OwAuthKind;

/* Who holds a token. */
typedef struct
{
  OwAuthKind  kind;
  char       *id;          /* device name or staff ID */
  char       *role;        /* kiosk, board, counter, supervisor, admin */
  char       *window;      /* staff: the window signed in at, or NULL */
  char       *actor;       /* "device:NAME" or "staff:ID", as the audit log records it */
  gint64      session;     /* staff: the session's row id */
  gint64      expires_at;  /* staff: microseconds since the epoch */
} OwAuthIdentity;

#define OW_AUTH_SESSION_HOURS 12

GQuark          ow_auth_error_quark     (void);
void            ow_auth_identity_free   (OwAuthIdentity      *identity);

/* Devices.  Returns the new token, which is shown once and stored only as a hash.  A revoked
 * name may be added again; it then gets a new token. */
char           *ow_auth_device_add      (OwHall              *hall,
                                         const OwActor       *actor,
                                         const char          *name,
                                         const char          *role,
                                         GError             **error);
JsonArray      *ow_auth_device_list     (OwHall              *hall,
                                         GError             **error);
gboolean        ow_auth_device_revoke   (OwHall              *hall,
                                         const OwActor       *actor,
                                         const char          *name,
                                         GError             **error);

/* Staff sessions.  Checks the PIN with ow_hall_check_pin () (five wrong lock the account for
 * 15 minutes).  Counter staff must name the window they sit at; signing in at a window ends
 * any earlier session there.  Returns {"token", "role", "staff", "window", "expires"}. */
JsonObject     *ow_auth_login           (OwHall              *hall,
                                         const OwActor       *actor,
                                         const char          *staff,
                                         const char          *pin,
                                         const char          *window,
                                         GError             **error);
gboolean        ow_auth_logout          (OwHall              *hall,
                                         const OwActor       *actor,
                                         const OwAuthIdentity *identity,
                                         GError             **error);

/* Looks a bearer token up.  Never writes; cheap enough for every request. */
OwAuthIdentity *ow_auth_lookup          (OwHall              *hall,
                                         const char          *token,
                                         GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwAuthIdentity, ow_auth_identity_free)

G_END_DECLS
