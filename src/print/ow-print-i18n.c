/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-print-i18n.h"

#include <libintl.h>
#include <string.h>

/* GNU gettext picks one language per process (LANGUAGE, LC_MESSAGES), and switching it means
 * changing the environment, which is not safe while other threads run.  A ticket needs both
 * languages side by side, so this reads the same compiled catalogue (.mo) that gettext would
 * read, once per language, and looks strings up in it directly. */

#define MO_MAGIC         0x950412deU
#define MO_MAGIC_SWAPPED 0xde120495U

typedef struct
{
  GBytes     *bytes;     /* the .mo file */
  GHashTable *strings;   /* msgid -> msgstr, both pointing into bytes */
} Catalog;

static GMutex catalogs_lock;
static GHashTable *catalogs;   /* language -> Catalog or NULL; loaded once, never freed */

static guint32
read_u32 (const guint8 *data,
          gsize         offset,
          gboolean      swapped)
{
  guint32 value;

  memcpy (&value, data + offset, sizeof value);
  return swapped ? GUINT32_SWAP_LE_BE (value) : value;
}

/* Returns a table of the catalogue's strings, pointing into @bytes, or NULL if the file is not a
 * catalogue. */
static GHashTable *
parse_mo (GBytes *bytes)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  g_autoptr(GHashTable) strings = NULL;
  gboolean swapped;
  guint32 n, originals, translations;

  if (size < 28)
    return NULL;
  if (read_u32 (data, 0, FALSE) == MO_MAGIC)
    swapped = FALSE;
  else if (read_u32 (data, 0, FALSE) == MO_MAGIC_SWAPPED)
    swapped = TRUE;
  else
    return NULL;

  n = read_u32 (data, 8, swapped);
  originals = read_u32 (data, 12, swapped);
  translations = read_u32 (data, 16, swapped);
  if (n > size / 16 || originals > size - 8 * (gsize) n || translations > size - 8 * (gsize) n)
    return NULL;

  strings = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, NULL);
  for (guint32 i = 0; i < n; i++)
    {
      guint32 olen = read_u32 (data, originals + 8 * (gsize) i, swapped);
      guint32 ooff = read_u32 (data, originals + 8 * (gsize) i + 4, swapped);
      guint32 tlen = read_u32 (data, translations + 8 * (gsize) i, swapped);
      guint32 toff = read_u32 (data, translations + 8 * (gsize) i + 4, swapped);

      /* Every string is followed by a NUL in the file; the header (empty msgid) is skipped. */
      if (olen == 0 || tlen == 0 || ooff >= size || olen >= size - ooff ||
          toff >= size || tlen >= size - toff || data[ooff + olen] != '\0' || data[toff + tlen] != '\0')
        continue;
      g_hash_table_insert (strings, (gpointer) (data + ooff), (gpointer) (data + toff));
    }
  return g_steal_pointer (&strings);
}

static Catalog *
load_catalog (const char *lang)
{
  const char *dirs[] = {
    bindtextdomain (GETTEXT_PACKAGE, NULL),   /* where the program bound the domain */
    g_getenv ("OW_LOCALEDIR"),
    LOCALEDIR,
    BUILD_LOCALEDIR,
  };

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = NULL;
      g_autofree char *contents = NULL;
      gsize length;
      GBytes *bytes;
      GHashTable *strings;

      if (dirs[i] == NULL)
        continue;
      path = g_build_filename (dirs[i], lang, "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);
      if (!g_file_get_contents (path, &contents, &length, NULL))
        continue;
      bytes = g_bytes_new_take (g_steal_pointer (&contents), length);
      strings = parse_mo (bytes);
      if (strings != NULL)
        {
          Catalog *catalog = g_new0 (Catalog, 1);

          catalog->bytes = bytes;
          catalog->strings = strings;
          return catalog;
        }
      g_bytes_unref (bytes);
    }
  return NULL;
}

const char *
ow_print_gettext (const char *lang,
                  const char *msgid)
{
  Catalog *catalog;
  const char *text;

  g_return_val_if_fail (msgid != NULL, NULL);

  if (lang == NULL || g_str_has_prefix (lang, "en") || *msgid == '\0')
    return msgid;

  g_mutex_lock (&catalogs_lock);
  if (catalogs == NULL)
    catalogs = g_hash_table_new (g_str_hash, g_str_equal);
  if (!g_hash_table_lookup_extended (catalogs, lang, NULL, (gpointer *) &catalog))
    {
      catalog = load_catalog (lang);
      g_hash_table_insert (catalogs, g_strdup (lang), catalog);
    }
  g_mutex_unlock (&catalogs_lock);

  /* A catalogue, once loaded, is never changed or freed, so reading it needs no lock. */
  text = catalog != NULL ? g_hash_table_lookup (catalog->strings, msgid) : NULL;
  return text != NULL ? text : msgid;
}
