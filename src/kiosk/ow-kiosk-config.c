/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-kiosk-config.h"

#include <glib/gi18n.h>

#include <math.h>

#define GROUP "kiosk"

G_DEFINE_QUARK (ow-kiosk-config-error-quark, ow_kiosk_config_error)

OwKioskConfig *
ow_kiosk_config_new (void)
{
  OwKioskConfig *config = g_new0 (OwKioskConfig, 1);

  config->language = g_strdup ("zh_CN");
  config->software_rendering = TRUE;
  config->idle_timeout_ms = 30 * 1000;
  config->ticket_timeout_ms = 120 * 1000;
  config->retry_interval_ms = 5 * 1000;
  config->refresh_interval_ms = 60 * 1000;
  config->print_timeout_ms = 30 * 1000;
  return config;
}

void
ow_kiosk_config_free (OwKioskConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->server);
  g_free (config->token);
  g_free (config->printer);
  g_free (config->cups_server);
  g_free (config->language);
  g_free (config);
}

OwKioskConfig *
ow_kiosk_config_copy (const OwKioskConfig *config)
{
  OwKioskConfig *copy = g_memdup2 (config, sizeof *config);

  copy->server = g_strdup (config->server);
  copy->token = g_strdup (config->token);
  copy->printer = g_strdup (config->printer);
  copy->cups_server = g_strdup (config->cups_server);
  copy->language = g_strdup (config->language);
  return copy;
}

static gboolean
load_string (GKeyFile    *key_file,
             const char  *key,
             char       **field,
             GError     **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *value = NULL;

  if (!g_key_file_has_key (key_file, GROUP, key, NULL))
    return TRUE;
  value = g_key_file_get_string (key_file, GROUP, key, &local);
  if (value == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  g_strstrip (value);
  g_free (*field);
  *field = *value != '\0' ? g_steal_pointer (&value) : NULL;
  return TRUE;
}

static gboolean
load_boolean (GKeyFile    *key_file,
              const char  *key,
              gboolean    *field,
              GError     **error)
{
  g_autoptr(GError) local = NULL;
  gboolean value;

  if (!g_key_file_has_key (key_file, GROUP, key, NULL))
    return TRUE;
  value = g_key_file_get_boolean (key_file, GROUP, key, &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  *field = value;
  return TRUE;
}

/* A duration in seconds (fractions allowed, so that tests can use short ones). */
static gboolean
load_seconds (GKeyFile    *key_file,
              const char  *key,
              guint       *field,
              GError     **error)
{
  g_autoptr(GError) local = NULL;
  double seconds;

  if (!g_key_file_has_key (key_file, GROUP, key, NULL))
    return TRUE;
  seconds = g_key_file_get_double (key_file, GROUP, key, &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (!(seconds > 0 && seconds <= 24 * 3600))
    {
      g_set_error (error, OW_KIOSK_CONFIG_ERROR, OW_KIOSK_CONFIG_ERROR_INVALID,
                   _("[%s] %s: must be a number of seconds from 0 to 86400, not %g"), GROUP, key, seconds);
      return FALSE;
    }
  *field = (guint) lround (seconds * 1000);
  return TRUE;
}

gboolean
ow_kiosk_config_load_key_file (OwKioskConfig  *config,
                               GKeyFile       *key_file,
                               GError        **error)
{
  g_return_val_if_fail (config != NULL, FALSE);

  if (!g_key_file_has_group (key_file, GROUP))
    {
      g_set_error (error, OW_KIOSK_CONFIG_ERROR, OW_KIOSK_CONFIG_ERROR_INVALID,
                   _("no [%s] group"), GROUP);
      return FALSE;
    }
  return load_boolean (key_file, "fullscreen", &config->fullscreen, error) &&
         load_boolean (key_file, "software-rendering", &config->software_rendering, error) &&
         load_string (key_file, "server", &config->server, error) &&
         load_string (key_file, "token", &config->token, error) &&
         load_string (key_file, "printer", &config->printer, error) &&
         load_string (key_file, "cups-server", &config->cups_server, error) &&
         load_string (key_file, "language", &config->language, error) &&
         load_seconds (key_file, "idle-timeout", &config->idle_timeout_ms, error) &&
         load_seconds (key_file, "ticket-timeout", &config->ticket_timeout_ms, error) &&
         load_seconds (key_file, "retry-interval", &config->retry_interval_ms, error) &&
         load_seconds (key_file, "refresh-interval", &config->refresh_interval_ms, error) &&
         load_seconds (key_file, "print-timeout", &config->print_timeout_ms, error);
}

gboolean
ow_kiosk_config_load_file (OwKioskConfig  *config,
                           const char     *path,
                           GError        **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &local) ||
      !ow_kiosk_config_load_key_file (config, key_file, &local))
    {
      g_set_error (error, OW_KIOSK_CONFIG_ERROR, OW_KIOSK_CONFIG_ERROR_INVALID,
                   "%s: %s", path, local->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
ow_kiosk_config_validate (OwKioskConfig  *config,
                          GError        **error)
{
  g_return_val_if_fail (config != NULL, FALSE);

  if (config->server == NULL ||
      !(g_str_has_prefix (config->server, "http://") || g_str_has_prefix (config->server, "https://")))
    {
      g_set_error (error, OW_KIOSK_CONFIG_ERROR, OW_KIOSK_CONFIG_ERROR_INVALID,
                   _("the server URL (--server or server=) must start with http:// or https://"));
      return FALSE;
    }
  if (config->token == NULL)
    {
      g_set_error (error, OW_KIOSK_CONFIG_ERROR, OW_KIOSK_CONFIG_ERROR_INVALID,
                   _("the kiosk needs its device token (--token or token=)"));
      return FALSE;
    }
  if (g_strcmp0 (config->language, "zh_CN") != 0 && g_strcmp0 (config->language, "en") != 0)
    {
      g_set_error (error, OW_KIOSK_CONFIG_ERROR, OW_KIOSK_CONFIG_ERROR_INVALID,
                   _("the language must be zh_CN or en, not %s"), config->language);
      return FALSE;
    }
  return TRUE;
}
