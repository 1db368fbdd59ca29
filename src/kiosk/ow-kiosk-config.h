/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define OW_KIOSK_CONFIG_ERROR (ow_kiosk_config_error_quark ())

typedef enum
{
  OW_KIOSK_CONFIG_ERROR_INVALID,   /* a setting is missing or out of range */
} OwKioskConfigError;

/* The kiosk's settings: defaults, then the [kiosk] group of a key file, then the command line
 * (which wins).  Times are in milliseconds here; the key file gives seconds. */
typedef struct
{
  char     *server;               /* the hall server's URL */
  char     *token;                /* the kiosk's device token */
  char     *printer;              /* a CUPS queue; NULL: the CUPS default destination */
  char     *cups_server;          /* NULL: what libcups would use */
  char     *language;             /* the language shown first: "zh_CN" or "en" */
  gboolean  fullscreen;
  gboolean  software_rendering;   /* draw with cairo, never load the GL stack */
  guint     idle_timeout_ms;      /* back to the home page after this long without a touch */
  guint     ticket_timeout_ms;    /* how long a ticket whose print failed stays on screen */
  guint     retry_interval_ms;    /* while the server is unreachable */
  guint     refresh_interval_ms;  /* catalogue and queue refresh on the home page */
  guint     print_timeout_ms;     /* how long a print job may take to complete */
} OwKioskConfig;

GQuark         ow_kiosk_config_error_quark (void);
OwKioskConfig *ow_kiosk_config_new         (void);
void           ow_kiosk_config_free        (OwKioskConfig  *config);
OwKioskConfig *ow_kiosk_config_copy        (const OwKioskConfig *config);
/* Reads the [kiosk] group of @path over the current values. */
gboolean       ow_kiosk_config_load_file   (OwKioskConfig  *config,
                                            const char     *path,
                                            GError        **error);
gboolean       ow_kiosk_config_load_key_file (OwKioskConfig *config,
                                            GKeyFile       *key_file,
                                            GError        **error);
/* Checks that the server URL and the token are there. */
gboolean       ow_kiosk_config_validate    (OwKioskConfig  *config,
                                            GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwKioskConfig, ow_kiosk_config_free)

G_END_DECLS
