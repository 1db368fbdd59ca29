/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-auth.h"

#include "ow-json.h"

#include <glib/gi18n-lib.h>
#include <sodium.h>
#include <string.h>

/* Who may talk to the hall server.  Devices (kiosks, boards) hold long-lived tokens made by
 * an administrator; staff sign in with ID and PIN and get a session token.  Tokens are 256
 * random bits, so a fast keyed-free hash (BLAKE2b-256) is enough to store them: nobody can
 * guess a preimage, and a stolen database yields no usable token.  Every change appends an
 * audit event in the same transaction as the change. */

#define DEVICE_PREFIX "owd_"
#define SESSION_PREFIX "ows_"
#define TOKEN_BYTES 32
#define HASH_BYTES 32

G_DEFINE_QUARK (ow-auth-error-quark, ow_auth_error)

void
ow_auth_identity_free (OwAuthIdentity *identity)
{
  if (identity == NULL)
    return;
  g_free (identity->id);
  g_free (identity->role);
  g_free (identity->window);
  g_free (identity->actor);
  g_free (identity);
}

static char *
new_token (const char *prefix)
{
  guint8 bytes[TOKEN_BYTES];
  char text[sodium_base64_ENCODED_LEN (TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

  randombytes_buf (bytes, sizeof bytes);
  sodium_bin2base64 (text, sizeof text, bytes, sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero (bytes, sizeof bytes);
  return g_strconcat (prefix, text, NULL);
}

static void
hash_token (const char *token,
            guint8     *out)
{
  crypto_generichash (out, HASH_BYTES, (const guint8 *) token, strlen (token), NULL, 0);
}

static gboolean
valid_device_name (const char *name)
{
  if (name == NULL || *name == '\0' || strlen (name) > 64)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

/* Appends an event inside the caller's transaction. */
static gboolean
log_event (OwHall        *hall,
           const OwActor *actor,
           const char    *window,
           const char    *action,
           JsonObject    *details,
           GError       **error)
{
  g_autofree char *text = ow_json_object_to_text (details);
  OwAuditEvent event = {
    .at = ow_clock_now (ow_hall_get_clock (hall)),
    .actor = actor != NULL && actor->actor != NULL ? actor->actor : "system",
    .terminal = actor != NULL ? actor->terminal : NULL,
    .window = window,
    .action = action,
    .details = text,
  };

  return ow_audit_append (ow_hall_get_db (hall), &event, NULL, error);
}

/* Devices */

char *
ow_auth_device_add (OwHall         *hall,
                    const OwActor  *actor,
                    const char     *name,
                    const char     *role,
                    GError        **error)
{
  OwDb *db;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonObject) details = json_object_new ();
  g_autofree char *token = NULL;
  guint8 hash[HASH_BYTES];
  int rc;

  g_return_val_if_fail (OW_IS_HALL (hall), NULL);

  if (!valid_device_name (name))
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID,
                   _("device name '%s' must be 1 to 64 letters, digits, '-', '_' or '.'"),
                   name != NULL ? name : "");
      return NULL;
    }
  if (g_strcmp0 (role, "kiosk") != 0 && g_strcmp0 (role, "board") != 0)
    {
      /* Translators: kiosk and board are the role names to type; keep them in English. */
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID,
                   _("device role '%s' is not one of kiosk, board"), role != NULL ? role : "");
      return NULL;
    }

  db = ow_hall_get_db (hall);
  token = new_token (DEVICE_PREFIX);
  hash_token (token, hash);

  if (!ow_db_begin (db, TRUE, error))
    return NULL;

  stmt = ow_db_prepare (db, "SELECT revoked FROM devices WHERE name = ?1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  rc = ow_db_step_row (db, stmt, error);
  if (rc < 0)
    goto fail;
  if (rc == SQLITE_ROW && !sqlite3_column_int (stmt, 0))
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_EXISTS,
                   _("device '%s' exists: revoke it first to give it a new token"), name);
      goto fail;
    }
  ow_db_release (g_steal_pointer (&stmt));

  stmt = ow_db_prepare (db,
                        "INSERT INTO devices (name, role, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)"
                        " ON CONFLICT (name) DO UPDATE SET role = excluded.role,"
                        " token_hash = excluded.token_hash, created_at = excluded.created_at,"
                        " revoked = 0, revoked_at = NULL",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, role, -1, SQLITE_STATIC);
  sqlite3_bind_blob (stmt, 3, hash, sizeof hash, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, ow_clock_now (ow_hall_get_clock (hall)));
  if (!ow_db_step_done (db, stmt, error))
    goto fail;
  ow_db_release (g_steal_pointer (&stmt));

  json_object_set_string_member (details, "device", name);
  json_object_set_string_member (details, "role", role);
  if (!log_event (hall, actor, NULL, "device_add", details, error))
    goto fail;
  if (!ow_db_commit (db, error))
    return NULL;
  return g_steal_pointer (&token);

fail:
  ow_db_release (g_steal_pointer (&stmt));
  ow_db_rollback (db);
  return NULL;
}

JsonArray *
ow_auth_device_list (OwHall  *hall,
                     GError **error)
{
  OwDb *db;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonArray) list = json_array_new ();
  OwClock *clock;
  int rc;

  g_return_val_if_fail (OW_IS_HALL (hall), NULL);

  db = ow_hall_get_db (hall);
  clock = ow_hall_get_clock (hall);
  stmt = ow_db_prepare (db, "SELECT name, role, created_at, revoked, revoked_at FROM devices ORDER BY name",
                        error);
  if (stmt == NULL)
    return NULL;
  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *entry = json_object_new ();
      g_autofree char *created = ow_clock_format_iso (clock, sqlite3_column_int64 (stmt, 2));

      json_object_set_string_member (entry, "name", ow_db_column_text (stmt, 0));
      json_object_set_string_member (entry, "role", ow_db_column_text (stmt, 1));
      json_object_set_string_member (entry, "created_at", created);
      json_object_set_boolean_member (entry, "revoked", sqlite3_column_int (stmt, 3));
      if (sqlite3_column_type (stmt, 4) != SQLITE_NULL)
        {
          g_autofree char *revoked = ow_clock_format_iso (clock, sqlite3_column_int64 (stmt, 4));

          json_object_set_string_member (entry, "revoked_at", revoked);
        }
      else
        json_object_set_null_member (entry, "revoked_at");
      json_array_add_object_element (list, entry);
    }
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&list);
}

gboolean
ow_auth_device_revoke (OwHall         *hall,
                       const OwActor  *actor,
                       const char     *name,
                       GError        **error)
{
  OwDb *db;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonObject) details = json_object_new ();

  g_return_val_if_fail (OW_IS_HALL (hall), FALSE);

  db = ow_hall_get_db (hall);
  if (!ow_db_begin (db, TRUE, error))
    return FALSE;
  stmt = ow_db_prepare (db, "UPDATE devices SET revoked = 1, revoked_at = ?2 WHERE name = ?1 AND NOT revoked",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, ow_clock_now (ow_hall_get_clock (hall)));
  if (!ow_db_step_done (db, stmt, error))
    goto fail;
  if (sqlite3_changes (ow_db_get_handle (db)) == 0)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND, _("no active device '%s'"),
                   name != NULL ? name : "");
      goto fail;
    }
  ow_db_release (g_steal_pointer (&stmt));
  json_object_set_string_member (details, "device", name);
  if (!log_event (hall, actor, NULL, "device_revoke", details, error))
    goto fail;
  return ow_db_commit (db, error);

fail:
  ow_db_release (g_steal_pointer (&stmt));
  ow_db_rollback (db);
  return FALSE;
}

/* Sessions */

static gint64
session_lifetime_us (OwDb *db)
{
  g_autofree char *value = ow_db_get_setting (db, "session_hours");
  double hours = value != NULL ? g_ascii_strtod (value, NULL) : 0;

  if (!(hours > 0 && hours <= 24 * 7))
    hours = OW_AUTH_SESSION_HOURS;
  return (gint64) (hours * 3600 * G_USEC_PER_SEC);
}

JsonObject *
ow_auth_login (OwHall         *hall,
               const OwActor  *actor,
               const char     *staff,
               const char     *pin,
               const char     *window,
               GError        **error)
{
  OwDb *db;
  OwClock *clock;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonObject) details = json_object_new ();
  g_autofree char *role = NULL;
  g_autofree char *token = NULL;
  g_autofree char *expires = NULL;
  g_autofree char *staff_actor = NULL;
  JsonObject *result;
  OwActor session_actor;
  guint8 hash[HASH_BYTES];
  gint64 now, expires_at, replaced;
  int rc;

  g_return_val_if_fail (OW_IS_HALL (hall), NULL);

  db = ow_hall_get_db (hall);
  clock = ow_hall_get_clock (hall);

  if (staff == NULL || *staff == '\0' || pin == NULL)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID, _("signing in needs a staff ID and a PIN"));
      return NULL;
    }

  /* The window is checked first, so a typo in it costs no PIN attempt. */
  if (window != NULL)
    {
      stmt = ow_db_prepare (db, "SELECT 1 FROM windows WHERE id = ?1 AND active", error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_text (stmt, 1, window, -1, SQLITE_STATIC);
      rc = ow_db_step_row (db, stmt, error);
      if (rc < 0)
        return NULL;
      if (rc == SQLITE_DONE)
        {
          g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND, _("no window '%s'"), window);
          return NULL;
        }
      ow_db_release (g_steal_pointer (&stmt));
    }

  role = ow_hall_check_pin (hall, actor, staff, pin, error);
  if (role == NULL)
    return NULL;

  if (g_str_equal (role, "counter") && window == NULL)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID,
                   _("counter staff sign in at a window: give the window's ID"));
      return NULL;
    }

  token = new_token (SESSION_PREFIX);
  hash_token (token, hash);
  now = ow_clock_now (clock);
  expires_at = now + session_lifetime_us (db);
  staff_actor = g_strconcat ("staff:", staff, NULL);
  session_actor.actor = staff_actor;
  session_actor.terminal = actor != NULL ? actor->terminal : NULL;

  if (!ow_db_begin (db, TRUE, error))
    return NULL;

  /* One person per window: whoever signs in there replaces whoever was signed in. */
  replaced = 0;
  if (window != NULL)
    {
      stmt = ow_db_prepare (db, "UPDATE sessions SET revoked = 1 WHERE window = ?1 AND revoked = 0", error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_text (stmt, 1, window, -1, SQLITE_STATIC);
      if (!ow_db_step_done (db, stmt, error))
        goto fail;
      replaced = sqlite3_changes (ow_db_get_handle (db));
      ow_db_release (g_steal_pointer (&stmt));

      stmt = ow_db_prepare (db, "UPDATE windows SET staff = ?2 WHERE id = ?1", error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_text (stmt, 1, window, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, staff, -1, SQLITE_STATIC);
      if (!ow_db_step_done (db, stmt, error))
        goto fail;
      ow_db_release (g_steal_pointer (&stmt));
    }

  stmt = ow_db_prepare (db,
                        "INSERT INTO sessions (token_hash, staff, role, window, terminal, created_at, expires_at)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_blob (stmt, 1, hash, sizeof hash, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, staff, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, role, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, window, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, session_actor.terminal, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 6, now);
  sqlite3_bind_int64 (stmt, 7, expires_at);
  if (!ow_db_step_done (db, stmt, error))
    goto fail;
  ow_db_release (g_steal_pointer (&stmt));

  json_object_set_string_member (details, "staff", staff);
  json_object_set_string_member (details, "role", role);
  if (replaced > 0)
    json_object_set_int_member (details, "replaced", replaced);
  if (!log_event (hall, &session_actor, window, "login", details, error))
    goto fail;
  if (!ow_db_commit (db, error))
    return NULL;

  expires = ow_clock_format_iso (clock, expires_at);
  result = json_object_new ();
  json_object_set_string_member (result, "token", token);
  json_object_set_string_member (result, "role", role);
  json_object_set_string_member (result, "staff", staff);
  if (window != NULL)
    json_object_set_string_member (result, "window", window);
  else
    json_object_set_null_member (result, "window");
  json_object_set_string_member (result, "expires", expires);
  return result;

fail:
  ow_db_release (g_steal_pointer (&stmt));
  ow_db_rollback (db);
  return NULL;
}

gboolean
ow_auth_logout (OwHall               *hall,
                const OwActor        *actor,
                const OwAuthIdentity *identity,
                GError              **error)
{
  OwDb *db;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonObject) details = json_object_new ();

  g_return_val_if_fail (OW_IS_HALL (hall), FALSE);
  g_return_val_if_fail (identity != NULL, FALSE);

  if (identity->kind != OW_AUTH_STAFF)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID, _("only staff sessions sign out"));
      return FALSE;
    }

  db = ow_hall_get_db (hall);
  if (!ow_db_begin (db, TRUE, error))
    return FALSE;
  stmt = ow_db_prepare (db, "UPDATE sessions SET revoked = 1 WHERE id = ?1 AND revoked = 0", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, identity->session);
  if (!ow_db_step_done (db, stmt, error))
    goto fail;
  if (sqlite3_changes (ow_db_get_handle (db)) == 0)
    {
      g_set_error (error, OW_AUTH_ERROR, OW_AUTH_ERROR_REVOKED, _("this session has already ended"));
      goto fail;
    }
  ow_db_release (g_steal_pointer (&stmt));

  /* The window is closed once its staff sign out: boards show it unstaffed. */
  if (identity->window != NULL)
    {
      stmt = ow_db_prepare (db, "UPDATE windows SET staff = NULL WHERE id = ?1 AND staff = ?2", error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_text (stmt, 1, identity->window, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, identity->id, -1, SQLITE_STATIC);
      if (!ow_db_step_done (db, stmt, error))
        goto fail;
      ow_db_release (g_steal_pointer (&stmt));
    }

  json_object_set_string_member (details, "staff", identity->id);
  if (!log_event (hall, actor, identity->window, "logout", details, error))
    goto fail;
  return ow_db_commit (db, error);

fail:
  ow_db_release (g_steal_pointer (&stmt));
  ow_db_rollback (db);
  return FALSE;
}

OwAuthIdentity *
ow_auth_lookup (OwHall      *hall,
                const char  *token,
                GError     **error)
{
  OwDb *db;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(OwAuthIdentity) identity = NULL;
  guint8 hash[HASH_BYTES];
  gboolean device;
  int rc;

  g_return_val_if_fail (OW_IS_HALL (hall), NULL);

  device = token != NULL && g_str_has_prefix (token, DEVICE_PREFIX);
  if (token == NULL || strlen (token) > 128 ||
      (!device && !g_str_has_prefix (token, SESSION_PREFIX)))
    {
      g_set_error (error, OW_AUTH_ERROR, OW_AUTH_ERROR_UNKNOWN_TOKEN, _("unknown token"));
      return NULL;
    }

  db = ow_hall_get_db (hall);
  hash_token (token, hash);
  if (device)
    stmt = ow_db_prepare (db, "SELECT name, role, revoked FROM devices WHERE token_hash = ?1", error);
  else
    stmt = ow_db_prepare (db,
                          "SELECT s.staff, s.role, s.revoked OR NOT st.active, s.window, s.id, s.expires_at"
                          " FROM sessions s JOIN staff st ON st.id = s.staff WHERE s.token_hash = ?1",
                          error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_blob (stmt, 1, hash, sizeof hash, SQLITE_STATIC);
  rc = ow_db_step_row (db, stmt, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, OW_AUTH_ERROR, OW_AUTH_ERROR_UNKNOWN_TOKEN, _("unknown token"));
      return NULL;
    }
  if (sqlite3_column_int (stmt, 2))
    {
      g_set_error (error, OW_AUTH_ERROR, OW_AUTH_ERROR_REVOKED,
                   device ? _("this device's token has been revoked") : _("this session has ended: sign in again"));
      return NULL;
    }

  identity = g_new0 (OwAuthIdentity, 1);
  identity->kind = device ? OW_AUTH_DEVICE : OW_AUTH_STAFF;
  identity->id = g_strdup (ow_db_column_text (stmt, 0));
  identity->role = g_strdup (ow_db_column_text (stmt, 1));
  if (!device)
    {
      identity->window = g_strdup (ow_db_column_text (stmt, 3));
      identity->session = sqlite3_column_int64 (stmt, 4);
      identity->expires_at = sqlite3_column_int64 (stmt, 5);
      if (identity->expires_at <= ow_clock_now (ow_hall_get_clock (hall)))
        {
          g_set_error (error, OW_AUTH_ERROR, OW_AUTH_ERROR_EXPIRED, _("this session has expired: sign in again"));
          return NULL;
        }
    }
  identity->actor = g_strconcat (device ? "device:" : "staff:", identity->id, NULL);
  return g_steal_pointer (&identity);
}
