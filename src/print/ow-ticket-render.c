/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-ticket-render.h"

#include "ow-print-i18n.h"

#include <cairo-pdf.h>
#include <glib/gi18n-lib.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <qrencode.h>
#include <string.h>

/* The printed ticket (docs/PRINTING.md).  Everything is laid out once with Pango into a list of
 * blocks, whose heights give the roll's length; then the blocks are drawn into a cairo PDF
 * surface of exactly that size.  Units are PostScript points throughout (the Pango context's
 * resolution is 72 dpi, so a font size in points is a size in user units). */

#define MM                 (72.0 / 25.4)
#define MARGIN_SIDE        (5.0 * MM)     /* 80 mm printers print about 72 mm: keep clear */
#define MARGIN_TOP         (4.0 * MM)
#define MARGIN_BOTTOM      (10.0 * MM)    /* room for the tear bar */
#define A4_TOP             (12.0 * MM)
#define PRINTER_DPI        203.0          /* the common receipt printer's resolution */
#define DOT                (72.0 / PRINTER_DPI)
#define QR_TARGET          (38.0 * MM)    /* the QR code with its quiet zone */
#define QR_QUIET_MODULES   4
#define NUMBER_SIZE        64.0
#define FONT_FAMILY        "Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Micro Hei, Sans"
#define MONO_FAMILY        "DejaVu Sans Mono, Noto Sans Mono CJK SC, WenQuanYi Micro Hei Mono, Monospace"
#define DEFAULT_NO_SHOW    2

struct _OwTicketRenderer
{
  GObject        parent_instance;

  JsonObject    *hall_name;
  char          *status_base_url;
  guint          no_show_limit;
  char          *language;
  OwTicketPaper  paper;

  PangoFontMap  *font_map;
  PangoContext  *context;
};

G_DEFINE_FINAL_TYPE (OwTicketRenderer, ow_ticket_renderer, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (OwTicketPaper, ow_ticket_paper,
                    G_DEFINE_ENUM_VALUE (OW_TICKET_PAPER_ROLL_80MM, "roll-80mm"),
                    G_DEFINE_ENUM_VALUE (OW_TICKET_PAPER_A4, "a4"))

G_DEFINE_QUARK (ow-ticket-error-quark, ow_ticket_error)

enum
{
  PROP_0,
  PROP_HALL_NAME,
  PROP_STATUS_BASE_URL,
  PROP_NO_SHOW_LIMIT,
  PROP_LANGUAGE,
  PROP_PAPER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* g_set_str() arrived in GLib 2.76; the project requires 2.74. */
static gboolean
replace_string (char       **field,
                const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

typedef enum
{
  BLOCK_TEXT,     /* a layout across the content's width */
  BLOCK_ROW,      /* a layout on the left, another aligned right */
  BLOCK_BADGE,    /* a layout in white on a black bar */
  BLOCK_RULE,     /* a solid or dashed line */
  BLOCK_QR,
} BlockKind;

typedef struct
{
  BlockKind    kind;
  double       height;
  double       gap;       /* space below the block */
  PangoLayout *layout;
  PangoLayout *right;
  gboolean     dashed;
  QRcode      *qr;
  double       module;    /* the QR code's module size */
} Block;

typedef struct
{
  OwTicketRenderer *self;
  const char       *primary;     /* the language printed first and largest */
  const char       *secondary;
  double            width;       /* of the content */
  double            height;      /* of all blocks with their gaps */
  GArray           *blocks;
} Render;

static void
block_clear (gpointer data)
{
  Block *block = data;

  g_clear_object (&block->layout);
  g_clear_object (&block->right);
  g_clear_pointer (&block->qr, QRcode_free);
}

static void
ow_ticket_renderer_finalize (GObject *object)
{
  OwTicketRenderer *self = (OwTicketRenderer *) object;

  g_clear_pointer (&self->hall_name, json_object_unref);
  g_clear_pointer (&self->status_base_url, g_free);
  g_clear_pointer (&self->language, g_free);
  g_clear_object (&self->context);
  g_clear_object (&self->font_map);

  G_OBJECT_CLASS (ow_ticket_renderer_parent_class)->finalize (object);
}

static void
ow_ticket_renderer_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  OwTicketRenderer *self = OW_TICKET_RENDERER (object);

  switch (prop_id)
    {
    case PROP_HALL_NAME:
      g_value_set_boxed (value, self->hall_name);
      break;

    case PROP_STATUS_BASE_URL:
      g_value_set_string (value, self->status_base_url);
      break;

    case PROP_NO_SHOW_LIMIT:
      g_value_set_uint (value, self->no_show_limit);
      break;

    case PROP_LANGUAGE:
      g_value_set_string (value, self->language);
      break;

    case PROP_PAPER:
      g_value_set_enum (value, self->paper);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_ticket_renderer_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  OwTicketRenderer *self = OW_TICKET_RENDERER (object);

  switch (prop_id)
    {
    case PROP_HALL_NAME:
      ow_ticket_renderer_set_hall_name (self, g_value_get_boxed (value));
      break;

    case PROP_STATUS_BASE_URL:
      ow_ticket_renderer_set_status_base_url (self, g_value_get_string (value));
      break;

    case PROP_NO_SHOW_LIMIT:
      ow_ticket_renderer_set_no_show_limit (self, g_value_get_uint (value));
      break;

    case PROP_LANGUAGE:
      ow_ticket_renderer_set_language (self, g_value_get_string (value));
      break;

    case PROP_PAPER:
      ow_ticket_renderer_set_paper (self, g_value_get_enum (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_ticket_renderer_class_init (OwTicketRendererClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ow_ticket_renderer_finalize;
  object_class->get_property = ow_ticket_renderer_get_property;
  object_class->set_property = ow_ticket_renderer_set_property;

  /* {"zh_CN": ..., "en": ...}, as in the catalogue. */
  properties[PROP_HALL_NAME] =
    g_param_spec_boxed ("hall-name", NULL, NULL, JSON_TYPE_OBJECT,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_STATUS_BASE_URL] =
    g_param_spec_string ("status-base-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* The no-show that ends a ticket: 2 means the first puts it back in the queue. */
  properties[PROP_NO_SHOW_LIMIT] =
    g_param_spec_uint ("no-show-limit", NULL, NULL, 1, 9, DEFAULT_NO_SHOW,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* The language printed first; the other follows in smaller type. */
  properties[PROP_LANGUAGE] =
    g_param_spec_string ("language", NULL, NULL, "zh_CN",
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PAPER] =
    g_param_spec_enum ("paper", NULL, NULL, OW_TYPE_TICKET_PAPER, OW_TICKET_PAPER_ROLL_80MM,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ow_ticket_renderer_init (OwTicketRenderer *self)
{
  cairo_font_options_t *options;

  self->no_show_limit = DEFAULT_NO_SHOW;
  self->language = g_strdup ("zh_CN");
  self->paper = OW_TICKET_PAPER_ROLL_80MM;

  /* The renderer's own font map and context, kept for every ticket: the first layout pays for
   * fontconfig, the following ones do not.  Hinting would snap glyphs to a screen's pixel grid,
   * which means nothing in a PDF. */
  self->font_map = pango_cairo_font_map_new ();
  self->context = pango_font_map_create_context (self->font_map);
  pango_cairo_context_set_resolution (self->context, 72.0);
  pango_context_set_round_glyph_positions (self->context, FALSE);
  pango_context_set_language (self->context, pango_language_from_string ("zh-cn"));
  options = cairo_font_options_create ();
  cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_antialias (options, CAIRO_ANTIALIAS_GRAY);
  pango_cairo_context_set_font_options (self->context, options);
  cairo_font_options_destroy (options);
}

OwTicketRenderer *
ow_ticket_renderer_new (void)
{
  return g_object_new (OW_TYPE_TICKET_RENDERER, NULL);
}

OwTicketRenderer *
ow_ticket_renderer_new_for_db (OwDb *db)
{
  g_autoptr(OwTicketRenderer) self = NULL;
  g_autofree char *hall_name = NULL;
  g_autofree char *base = NULL;
  g_autofree char *limit = NULL;
  guint64 value;

  g_return_val_if_fail (OW_IS_DB (db), NULL);

  self = ow_ticket_renderer_new ();
  hall_name = ow_db_get_setting (db, "hall_name");
  if (hall_name != NULL)
    {
      g_autoptr(JsonNode) node = json_from_string (hall_name, NULL);

      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        ow_ticket_renderer_set_hall_name (self, json_node_get_object (node));
    }
  base = ow_db_get_setting (db, "status_base_url");
  if (base != NULL && *base != '\0')
    ow_ticket_renderer_set_status_base_url (self, base);
  limit = ow_db_get_setting (db, "no_show_limit");
  if (limit != NULL && g_ascii_string_to_unsigned (limit, 10, 1, 9, &value, NULL))
    ow_ticket_renderer_set_no_show_limit (self, (guint) value);
  return g_steal_pointer (&self);
}

JsonObject *
ow_ticket_renderer_get_hall_name (OwTicketRenderer *self)
{
  g_return_val_if_fail (OW_IS_TICKET_RENDERER (self), NULL);

  return self->hall_name;
}

void
ow_ticket_renderer_set_hall_name (OwTicketRenderer *self,
                                  JsonObject       *hall_name)
{
  g_return_if_fail (OW_IS_TICKET_RENDERER (self));

  if (self->hall_name == hall_name)
    return;
  if (hall_name != NULL)
    json_object_ref (hall_name);
  g_clear_pointer (&self->hall_name, json_object_unref);
  self->hall_name = hall_name;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HALL_NAME]);
}

const char *
ow_ticket_renderer_get_status_base_url (OwTicketRenderer *self)
{
  g_return_val_if_fail (OW_IS_TICKET_RENDERER (self), NULL);

  return self->status_base_url;
}

void
ow_ticket_renderer_set_status_base_url (OwTicketRenderer *self,
                                        const char       *url)
{
  g_return_if_fail (OW_IS_TICKET_RENDERER (self));

  if (replace_string (&self->status_base_url, url))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS_BASE_URL]);
}

guint
ow_ticket_renderer_get_no_show_limit (OwTicketRenderer *self)
{
  g_return_val_if_fail (OW_IS_TICKET_RENDERER (self), DEFAULT_NO_SHOW);

  return self->no_show_limit;
}

void
ow_ticket_renderer_set_no_show_limit (OwTicketRenderer *self,
                                      guint             limit)
{
  g_return_if_fail (OW_IS_TICKET_RENDERER (self));
  g_return_if_fail (limit >= 1 && limit <= 9);

  if (self->no_show_limit == limit)
    return;
  self->no_show_limit = limit;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NO_SHOW_LIMIT]);
}

const char *
ow_ticket_renderer_get_language (OwTicketRenderer *self)
{
  g_return_val_if_fail (OW_IS_TICKET_RENDERER (self), NULL);

  return self->language;
}

void
ow_ticket_renderer_set_language (OwTicketRenderer *self,
                                 const char       *language)
{
  g_return_if_fail (OW_IS_TICKET_RENDERER (self));

  if (language == NULL)
    language = "zh_CN";
  if (replace_string (&self->language, language))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LANGUAGE]);
}

OwTicketPaper
ow_ticket_renderer_get_paper (OwTicketRenderer *self)
{
  g_return_val_if_fail (OW_IS_TICKET_RENDERER (self), OW_TICKET_PAPER_ROLL_80MM);

  return self->paper;
}

void
ow_ticket_renderer_set_paper (OwTicketRenderer *self,
                              OwTicketPaper     paper)
{
  g_return_if_fail (OW_IS_TICKET_RENDERER (self));

  if (self->paper == paper)
    return;
  self->paper = paper;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAPER]);
}

char *
ow_ticket_renderer_get_status_url (OwTicketRenderer  *self,
                                   JsonObject        *ticket,
                                   GError           **error)
{
  const char *token;
  g_autofree char *base = NULL;

  g_return_val_if_fail (OW_IS_TICKET_RENDERER (self), NULL);
  g_return_val_if_fail (ticket != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* The server knows the URL citizens' phones reach it by, and says so when it issues. */
  if (json_object_has_member (ticket, "status_url") && !json_object_get_null_member (ticket, "status_url"))
    return g_strdup (json_object_get_string_member (ticket, "status_url"));

  token = json_object_get_string_member_with_default (ticket, "token", NULL);
  if (token == NULL || *token == '\0')
    {
      g_set_error (error, OW_TICKET_ERROR, OW_TICKET_ERROR_INVALID, _("the ticket has no token"));
      return NULL;
    }
  if (self->status_base_url == NULL || *self->status_base_url == '\0')
    {
      g_set_error (error, OW_TICKET_ERROR, OW_TICKET_ERROR_INVALID,
                   _("the hall has no status page base URL (setting status_base_url)"));
      return NULL;
    }
  base = g_strdup (self->status_base_url);
  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  return g_strdup_printf ("%s/t/%s", base, token);
}

/* Layout. */

/* A catalogue name object in @lang, falling back to the other language; NULL when empty. */
static const char *
localized (JsonObject *name,
           const char *lang)
{
  const char *text = NULL;

  if (name == NULL)
    return NULL;
  text = json_object_get_string_member_with_default (name, lang, NULL);
  if (text == NULL || *text == '\0')
    text = json_object_get_string_member_with_default (name, g_str_equal (lang, "en") ? "zh_CN" : "en", NULL);
  return text != NULL && *text != '\0' ? text : NULL;
}

static JsonObject *
object_member (JsonObject *object,
               const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gint64
int_member (JsonObject *object,
            const char *member,
            gint64      fallback)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (node);
}

static Block *
add_block (Render    *r,
           BlockKind  kind,
           double     height,
           double     gap)
{
  Block block = { .kind = kind, .height = height, .gap = gap };

  g_array_append_val (r->blocks, block);
  r->height += height + gap;
  return &g_array_index (r->blocks, Block, r->blocks->len - 1);
}

static PangoLayout *
new_layout (Render         *r,
            const char     *family,
            double          size,
            PangoAlignment  alignment,
            double          width,
            const char     *markup)
{
  PangoLayout *layout = pango_layout_new (r->self->context);
  PangoFontDescription *font = pango_font_description_from_string (family);

  pango_font_description_set_size (font, (int) (size * PANGO_SCALE));
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment (layout, alignment);
  pango_layout_set_markup (layout, markup, -1);
  return layout;
}

static double
layout_height (PangoLayout *layout)
{
  int height;

  pango_layout_get_size (layout, NULL, &height);
  return (double) height / PANGO_SCALE;
}

static void
add_text (Render         *r,
          const char     *markup,
          double          size,
          PangoAlignment  alignment,
          double          gap)
{
  PangoLayout *layout = new_layout (r, FONT_FAMILY, size, alignment, r->width, markup);
  Block *block = add_block (r, BLOCK_TEXT, layout_height (layout), gap);

  block->layout = layout;
}

/* @right keeps its natural width (a time limit, a short label); @left wraps beside it. */
static void
add_row (Render     *r,
         const char *left,
         const char *right,
         double      size,
         double      gap)
{
  PangoLayout *rl = new_layout (r, FONT_FAMILY, size, PANGO_ALIGN_LEFT, r->width, right);
  PangoLayout *l;
  Block *block;
  int right_width;

  pango_layout_set_width (rl, -1);
  pango_layout_get_size (rl, &right_width, NULL);
  l = new_layout (r, FONT_FAMILY, size, PANGO_ALIGN_LEFT,
                  r->width - (double) right_width / PANGO_SCALE - 2 * MM, left);
  block = add_block (r, BLOCK_ROW, MAX (layout_height (l), layout_height (rl)), gap);
  block->layout = l;
  block->right = rl;
}

static void
add_rule (Render   *r,
          gboolean  dashed,
          double    gap)
{
  Block *block = add_block (r, BLOCK_RULE, 1.0, gap);

  block->dashed = dashed;
}

/* "<big primary> <small secondary>" on one line, or stacked; the secondary is left out when
 * the catalogue lacks a translation, so nothing is printed twice. */
static char *
pair_markup (const char *primary,
             const char *secondary,
             double      primary_size,
             double      secondary_size,
             gboolean    bold,
             gboolean    stacked)
{
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  if (bold)
    first = g_markup_printf_escaped ("<span size=\"%d\" weight=\"bold\">%s</span>",
                                     (int) (primary_size * PANGO_SCALE), primary);
  else
    first = g_markup_printf_escaped ("<span size=\"%d\">%s</span>",
                                     (int) (primary_size * PANGO_SCALE), primary);
  if (secondary == NULL || g_strcmp0 (primary, secondary) == 0)
    return g_steal_pointer (&first);
  second = g_markup_printf_escaped ("<span size=\"%d\">%s</span>",
                                    (int) (secondary_size * PANGO_SCALE), secondary);
  return g_strconcat (first, stacked ? "\n" : "  ", second, NULL);
}

/* A user-interface string in both languages. */
static char *
label_markup (Render     *r,
              const char *msgid,
              double      primary_size,
              double      secondary_size,
              gboolean    bold,
              gboolean    stacked)
{
  return pair_markup (ow_print_gettext (r->primary, msgid), ow_print_gettext (r->secondary, msgid),
                      primary_size, secondary_size, bold, stacked);
}

/* A catalogue name in both languages. */
static char *
name_markup (Render     *r,
             JsonObject *name,
             double      primary_size,
             double      secondary_size,
             gboolean    bold,
             gboolean    stacked)
{
  const char *primary = localized (name, r->primary);
  const char *secondary = localized (name, r->secondary);

  if (primary == NULL)
    return NULL;
  return pair_markup (primary, secondary, primary_size, secondary_size, bold, stacked);
}

static void
add_number (Render     *r,
            const char *number)
{
  g_autofree char *markup = g_markup_printf_escaped ("<b>%s</b>", number);
  PangoLayout *layout = new_layout (r, FONT_FAMILY, NUMBER_SIZE, PANGO_ALIGN_CENTER, r->width, markup);
  PangoRectangle ink, logical;
  Block *block;

  /* Very large, but never wrapped: a longer number gets smaller type instead. */
  pango_layout_set_width (layout, -1);
  pango_layout_get_extents (layout, &ink, &logical);
  if (logical.width > r->width * PANGO_SCALE)
    {
      PangoFontDescription *font = pango_font_description_copy (pango_layout_get_font_description (layout));

      pango_font_description_set_size (font, (int) (NUMBER_SIZE * PANGO_SCALE * r->width * PANGO_SCALE / logical.width));
      pango_layout_set_font_description (layout, font);
      pango_font_description_free (font);
    }
  pango_layout_set_width (layout, (int) (r->width * PANGO_SCALE));
  block = add_block (r, BLOCK_TEXT, layout_height (layout), 1.0 * MM);
  block->layout = layout;
}

static gboolean
add_qr (Render      *r,
        const char  *url,
        double       gap,
        GError     **error)
{
  QRcode *qr = QRcode_encodeString8bit (url, 0, QR_ECLEVEL_M);
  int modules;
  double dots;
  Block *block;

  if (qr == NULL)
    {
      g_set_error (error, OW_TICKET_ERROR, OW_TICKET_ERROR_INVALID,
                   _("the status URL does not fit in a QR code (%zu bytes)"), strlen (url));
      return FALSE;
    }
  /* A whole number of printer dots per module keeps every module the same size on a 203 dpi
   * head; the quiet zone of four modules is part of the block and stays white. */
  modules = qr->width + 2 * QR_QUIET_MODULES;
  dots = MAX (3.0, floor (QR_TARGET / DOT / modules));
  block = add_block (r, BLOCK_QR, modules * dots * DOT + DOT, gap);
  block->qr = qr;
  block->module = dots * DOT;
  return TRUE;
}

static char *
format_time (const char *iso)
{
  g_autoptr(GDateTime) time = iso != NULL ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;

  /* Printed in the offset the hall wrote it with: the hall's own clock. */
  return time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M") : g_strdup (iso != NULL ? iso : "");
}

/* The token in groups of four, two lines of four groups: easy to read out and to type. */
static char *
format_token (const char *token)
{
  GString *out = g_string_new (NULL);
  gsize length = strlen (token);

  for (gsize i = 0; i < length; i += 4)
    {
      if (i > 0)
        g_string_append_c (out, i % 16 == 0 ? '\n' : ' ');
      g_string_append_len (out, token + i, MIN (4, length - i));
    }
  return g_string_free (out, FALSE);
}

static void
add_no_show_rule (Render *r)
{
  guint limit = r->self->no_show_limit;
  g_autofree char *primary = NULL;
  g_autofree char *secondary = NULL;
  g_autofree char *markup = NULL;

  if (limit <= 1)
    {
      primary = g_strdup (ow_print_gettext (r->primary, N_("A no-show ends the ticket.")));
      secondary = g_strdup (ow_print_gettext (r->secondary, N_("A no-show ends the ticket.")));
    }
  else if (limit == 2)
    {
      primary = g_strdup (ow_print_gettext (r->primary, N_("First no-show: back in the queue; second: the ticket ends.")));
      secondary = g_strdup (ow_print_gettext (r->secondary, N_("First no-show: back in the queue; second: the ticket ends.")));
    }
  else
    {
      primary = g_strdup_printf (ow_print_gettext (r->primary, N_("Up to %u no-shows: back in the queue; the next one ends the ticket.")), limit - 1);
      secondary = g_strdup_printf (ow_print_gettext (r->secondary, N_("Up to %u no-shows: back in the queue; the next one ends the ticket.")), limit - 1);
    }
  markup = pair_markup (primary, secondary, 8.5, 7, TRUE, TRUE);
  add_text (r, markup, 8.5, PANGO_ALIGN_CENTER, 2 * MM);
}

static void
add_steps (Render     *r,
           JsonObject *ticket)
{
  JsonNode *node = json_object_get_member (ticket, "steps");
  JsonArray *steps;
  const char *state = json_object_get_string_member_with_default (ticket, "state", "waiting");
  gint64 current = int_member (ticket, "step_index", 0);
  gboolean open = g_strcmp0 (state, "completed") != 0 && g_strcmp0 (state, "cancelled") != 0 &&
                  g_strcmp0 (state, "expired") != 0 && g_strcmp0 (state, "no_show") != 0;
  g_autofree char *left = NULL;
  g_autofree char *right = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return;
  steps = json_node_get_array (node);
  if (json_array_get_length (steps) == 0)
    return;

  left = label_markup (r, N_("Steps"), 8.5, 7, TRUE, FALSE);
  right = label_markup (r, N_("Time limit"), 8.5, 7, TRUE, FALSE);
  add_row (r, left, right, 8.5, 1.2 * MM);

  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      JsonObject *step = json_array_get_object_element (steps, i);
      g_autofree char *name = NULL;
      g_autofree char *step_left = NULL;
      g_autofree char *limit = NULL;
      gint64 minutes;
      /* On a reprint in the middle of the flow, the step the citizen is at stands out. */
      gboolean here = open && current == (gint64) i + 1 && json_array_get_length (steps) > 1 && current > 1;

      if (step == NULL)
        continue;
      name = name_markup (r, object_member (step, "name"), 9, 7, here, FALSE);
      step_left = g_strdup_printf ("<span size=\"%d\"%s>%u</span>  %s", 9 * PANGO_SCALE,
                                   here ? " weight=\"bold\"" : "", i + 1, name != NULL ? name : "");
      minutes = int_member (step, "limit_minutes", 0);
      if (minutes > 0)
        limit = g_strdup_printf (ow_print_gettext (r->primary, N_("%d min")), (int) minutes);
      add_row (r, step_left, limit != NULL ? limit : "", 9,
               i + 1 < json_array_get_length (steps) ? 0.8 * MM : 2.5 * MM);
    }
}

static gboolean
build (Render      *r,
       JsonObject  *ticket,
       const char  *url,
       GError     **error)
{
  const char *number = json_object_get_string_member (ticket, "number");
  const char *token = json_object_get_string_member (ticket, "token");
  const char *state = json_object_get_string_member_with_default (ticket, "state", "waiting");
  gint64 wait_s = int_member (ticket, "estimated_wait_s", -1);
  g_autofree char *hall = name_markup (r, r->self->hall_name, 12.5, 7.5, TRUE, TRUE);
  g_autofree char *label = label_markup (r, N_("Your number"), 9, 7, FALSE, FALSE);
  g_autofree char *service = name_markup (r, object_member (ticket, "service_name"), 13, 8, TRUE, TRUE);
  g_autofree char *issued = NULL;
  g_autofree char *issued_at = format_time (json_object_get_string_member_with_default (ticket, "issued_at", NULL));
  g_autofree char *caption = label_markup (r, N_("Scan to follow your ticket"), 8.5, 7, FALSE, TRUE);
  g_autofree char *code = label_markup (r, N_("Ticket code"), 7.5, 6.5, FALSE, FALSE);
  g_autofree char *grouped = format_token (token);
  g_autofree char *token_markup = g_markup_printf_escaped ("<span font_family=\"%s\" size=\"%d\">%s</span>",
                                                           MONO_FAMILY, (int) (8.5 * PANGO_SCALE), grouped);
  g_autofree char *footer = label_markup (r, N_("Please watch the screens and listen for your number"),
                                          8.5, 7, FALSE, TRUE);

  if (hall != NULL)
    add_text (r, hall, 12.5, PANGO_ALIGN_CENTER, 2 * MM);
  add_rule (r, FALSE, 2.5 * MM);
  add_text (r, label, 9, PANGO_ALIGN_CENTER, 0);
  add_number (r, number);

  if (json_object_get_boolean_member_with_default (ticket, "green", FALSE))
    {
      g_autofree char *badge = label_markup (r, N_("Green channel"), 10, 8, TRUE, FALSE);
      PangoLayout *layout = new_layout (r, FONT_FAMILY, 10, PANGO_ALIGN_CENTER, r->width, badge);
      Block *block = add_block (r, BLOCK_BADGE, layout_height (layout) + 2 * MM, 2.5 * MM);

      block->layout = layout;
    }

  if (service != NULL)
    add_text (r, service, 13, PANGO_ALIGN_CENTER, 2.5 * MM);

  /* People ahead only mean something while the ticket waits in a queue. */
  if (g_strcmp0 (state, "waiting") == 0)
    {
      gint64 ahead = int_member (ticket, "ahead", 0);
      g_autofree char *primary = g_strdup_printf (ow_print_gettext (r->primary, N_("Waiting ahead of you: %d")), (int) ahead);
      g_autofree char *secondary = g_strdup_printf (ow_print_gettext (r->secondary, N_("Waiting ahead of you: %d")), (int) ahead);
      g_autofree char *markup = pair_markup (primary, secondary, 11, 7.5, TRUE, TRUE);

      add_text (r, markup, 11, PANGO_ALIGN_CENTER, wait_s > 0 ? 0.8 * MM : 2.5 * MM);
      if (wait_s > 0)
        {
          int minutes = (int) MAX (1, (wait_s + 59) / 60);
          g_autofree char *p = g_strdup_printf (ow_print_gettext (r->primary, N_("Estimated wait: about %d min")), minutes);
          g_autofree char *s = g_strdup_printf (ow_print_gettext (r->secondary, N_("Estimated wait: about %d min")), minutes);
          g_autofree char *wait = pair_markup (p, s, 8.5, 7, FALSE, FALSE);

          add_text (r, wait, 8.5, PANGO_ALIGN_CENTER, 2.5 * MM);
        }
    }

  add_rule (r, TRUE, 2.5 * MM);
  add_steps (r, ticket);

  {
    g_autofree char *when = label_markup (r, N_("Issued at"), 8.5, 7, FALSE, FALSE);

    g_autofree char *time = g_markup_printf_escaped ("<span size=\"%d\">%s</span>",
                                                     (int) (8.5 * PANGO_SCALE), issued_at);

    issued = g_strconcat (when, "  ", time, NULL);
    add_text (r, issued, 8.5, PANGO_ALIGN_CENTER, 2 * MM);
  }
  add_no_show_rule (r);
  add_rule (r, TRUE, 1 * MM);

  if (!add_qr (r, url, 0, error))
    return FALSE;
  add_text (r, caption, 8.5, PANGO_ALIGN_CENTER, 1.5 * MM);
  add_text (r, code, 7.5, PANGO_ALIGN_CENTER, 0.5 * MM);
  add_text (r, token_markup, 8.5, PANGO_ALIGN_CENTER, 2.5 * MM);
  add_rule (r, TRUE, 2 * MM);
  add_text (r, footer, 8.5, PANGO_ALIGN_CENTER, 0);
  return TRUE;
}

/* Drawing. */

static double
snap (double value)
{
  return round (value / DOT) * DOT;
}

static void
draw_qr (cairo_t     *cr,
         const Block *block,
         double       page_x,
         double       page_y,
         double       y,
         double       width)
{
  const QRcode *qr = block->qr;
  double quiet = QR_QUIET_MODULES * block->module;
  double side = qr->width * block->module + 2 * quiet;
  double left, top;

  /* Snapped to the printer's dot grid in page coordinates (@page_x, @page_y is where the
   * content's origin lies on the page), where the printer puts its dots. */
  left = snap (page_x + (width - side) / 2) - page_x + quiet;
  top = snap (page_y + y) - page_y + quiet;

  cairo_save (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_rectangle (cr, left - quiet, top - quiet, side, side);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  /* Runs of dark modules become one rectangle each: a smaller PDF, and one fill of the whole
   * path leaves no hairlines between neighbours when it is rasterised. */
  for (int row = 0; row < qr->width; row++)
    {
      const unsigned char *data = qr->data + row * qr->width;

      for (int col = 0; col < qr->width; )
        {
          int end;

          if (!(data[col] & 1))
            {
              col++;
              continue;
            }
          for (end = col; end < qr->width && (data[end] & 1); end++)
            ;
          cairo_rectangle (cr, left + col * block->module, top + row * block->module,
                           (end - col) * block->module, block->module);
          col = end;
        }
    }
  cairo_fill (cr);
  cairo_restore (cr);
}

static void
draw_blocks (Render  *r,
             cairo_t *cr,
             double   page_x,
             double   page_y)
{
  double y = 0;

  cairo_set_source_rgb (cr, 0, 0, 0);
  for (guint i = 0; i < r->blocks->len; i++)
    {
      const Block *block = &g_array_index (r->blocks, Block, i);

      switch (block->kind)
        {
        case BLOCK_TEXT:
          cairo_move_to (cr, 0, y);
          pango_cairo_show_layout (cr, block->layout);
          break;

        case BLOCK_ROW:
          {
            int width;

            cairo_move_to (cr, 0, y);
            pango_cairo_show_layout (cr, block->layout);
            pango_layout_get_size (block->right, &width, NULL);
            cairo_move_to (cr, r->width - (double) width / PANGO_SCALE, y);
            pango_cairo_show_layout (cr, block->right);
          }
          break;

        case BLOCK_BADGE:
          cairo_rectangle (cr, 0, y, r->width, block->height);
          cairo_fill (cr);
          cairo_set_source_rgb (cr, 1, 1, 1);
          cairo_move_to (cr, 0, y + (block->height - layout_height (block->layout)) / 2);
          pango_cairo_show_layout (cr, block->layout);
          cairo_set_source_rgb (cr, 0, 0, 0);
          break;

        case BLOCK_RULE:
          {
            static const double dashes[] = { 2.0, 2.0 };

            cairo_save (cr);
            cairo_set_line_width (cr, block->dashed ? 0.6 : 1.0);
            if (block->dashed)
              cairo_set_dash (cr, dashes, G_N_ELEMENTS (dashes), 0);
            cairo_move_to (cr, 0, y + block->height / 2);
            cairo_line_to (cr, r->width, y + block->height / 2);
            cairo_stroke (cr);
            cairo_restore (cr);
          }
          break;

        case BLOCK_QR:
          draw_qr (cr, block, page_x, page_y, y, r->width);
          break;

        default:
          g_assert_not_reached ();
        }
      y += block->height + block->gap;
    }
}

static cairo_status_t
write_cb (void                *closure,
          const unsigned char *data,
          unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

GBytes *
ow_ticket_renderer_render (OwTicketRenderer  *self,
                           JsonObject        *ticket,
                           GError           **error)
{
  g_autoptr(GByteArray) pdf = NULL;
  g_autoptr(GArray) blocks = NULL;
  g_autofree char *url = NULL;
  g_autofree char *title = NULL;
  Render r = { 0 };
  cairo_surface_t *surface;
  cairo_t *cr;
  cairo_status_t status;
  double page_width, page_height, ticket_height, origin_x, origin_y, scale = 1.0;
  const char *number;
  const char *service;

  g_return_val_if_fail (OW_IS_TICKET_RENDERER (self), NULL);
  g_return_val_if_fail (ticket != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  number = json_object_get_string_member_with_default (ticket, "number", NULL);
  if (number == NULL || *number == '\0')
    {
      g_set_error (error, OW_TICKET_ERROR, OW_TICKET_ERROR_INVALID, _("the ticket has no number"));
      return NULL;
    }
  url = ow_ticket_renderer_get_status_url (self, ticket, error);
  if (url == NULL)
    return NULL;
  if (json_object_get_string_member_with_default (ticket, "token", NULL) == NULL)
    {
      g_set_error (error, OW_TICKET_ERROR, OW_TICKET_ERROR_INVALID, _("the ticket has no token"));
      return NULL;
    }

  blocks = g_array_new (FALSE, TRUE, sizeof (Block));
  g_array_set_clear_func (blocks, block_clear);
  r.self = self;
  r.primary = g_str_has_prefix (self->language, "en") ? "en" : "zh_CN";
  r.secondary = g_str_equal (r.primary, "en") ? "zh_CN" : "en";
  r.width = OW_TICKET_ROLL_WIDTH_PT - 2 * MARGIN_SIDE;
  r.blocks = blocks;
  if (!build (&r, ticket, url, error))
    return NULL;

  ticket_height = ceil (MARGIN_TOP + r.height + MARGIN_BOTTOM);
  if (self->paper == OW_TICKET_PAPER_A4)
    {
      page_width = OW_TICKET_A4_WIDTH_PT;
      page_height = OW_TICKET_A4_HEIGHT_PT;
      /* A ticket longer than the page (a service with very many steps) is shrunk to fit. */
      if (ticket_height > page_height - 2 * A4_TOP)
        scale = (page_height - 2 * A4_TOP) / ticket_height;
      origin_x = (page_width - OW_TICKET_ROLL_WIDTH_PT * scale) / 2;
      origin_y = A4_TOP;
    }
  else
    {
      page_width = OW_TICKET_ROLL_WIDTH_PT;
      page_height = ticket_height;
      origin_x = 0;
      origin_y = 0;
    }

  pdf = g_byte_array_sized_new (64 * 1024);
  surface = cairo_pdf_surface_create_for_stream (write_cb, pdf, page_width, page_height);
  service = localized (object_member (ticket, "service_name"), r.primary);
  title = service != NULL ? g_strdup_printf ("%s %s", number, service) : g_strdup (number);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, title);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "OneWindow " PACKAGE_VERSION);
  cr = cairo_create (surface);

  if (self->paper == OW_TICKET_PAPER_A4)
    {
      static const double dashes[] = { 4.0, 3.0 };

      /* The roll's outline, to cut along. */
      cairo_save (cr);
      cairo_set_source_rgb (cr, 0.6, 0.6, 0.6);
      cairo_set_line_width (cr, 0.5);
      cairo_set_dash (cr, dashes, G_N_ELEMENTS (dashes), 0);
      cairo_rectangle (cr, origin_x, origin_y, OW_TICKET_ROLL_WIDTH_PT * scale, ticket_height * scale);
      cairo_stroke (cr);
      cairo_restore (cr);
    }

  cairo_translate (cr, origin_x, origin_y);
  cairo_scale (cr, scale, scale);
  cairo_translate (cr, MARGIN_SIDE, MARGIN_TOP);
  draw_blocks (&r, cr, origin_x + MARGIN_SIDE * scale, origin_y + MARGIN_TOP * scale);
  cairo_show_page (cr);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);

  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, OW_TICKET_ERROR, OW_TICKET_ERROR_FAILED,
                   _("cannot draw the ticket: %s"), cairo_status_to_string (status));
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&pdf));
}

gboolean
ow_ticket_renderer_render_to_file (OwTicketRenderer  *self,
                                   JsonObject        *ticket,
                                   const char        *path,
                                   GError           **error)
{
  g_autoptr(GBytes) pdf = NULL;

  g_return_val_if_fail (OW_IS_TICKET_RENDERER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  pdf = ow_ticket_renderer_render (self, ticket, error);
  if (pdf == NULL)
    return FALSE;
  return g_file_set_contents (path, g_bytes_get_data (pdf, NULL), g_bytes_get_size (pdf), error);
}
