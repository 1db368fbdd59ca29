/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-kiosk-qr.h"

#include <qrencode.h>

/* A QR code drawn as crisp rectangles at whatever size the layout gives it, on white with the
 * four-module quiet zone that scanners (and phone cameras photographing the screen) need.
 * It draws itself, so it has no template. */

#define QUIET_MODULES 4
#define MIN_SIZE 300

struct _OwKioskQr
{
  GtkWidget  parent_instance;

  char      *text;
  QRcode    *code;
};

enum
{
  PROP_0,
  PROP_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (OwKioskQr, ow_kiosk_qr, GTK_TYPE_WIDGET)

static void
ow_kiosk_qr_measure (GtkWidget      *widget,
                     GtkOrientation  orientation,
                     int             for_size,
                     int            *minimum,
                     int            *natural,
                     int            *minimum_baseline,
                     int            *natural_baseline)
{
  *minimum = *natural = MIN_SIZE;
}

static void
ow_kiosk_qr_snapshot (GtkWidget   *widget,
                      GtkSnapshot *snapshot)
{
  OwKioskQr *self = OW_KIOSK_QR (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  int side = MIN (width, height);
  int modules, module, origin_x, origin_y;
  GdkRGBA white = { 1, 1, 1, 1 };
  GdkRGBA black = { 0, 0, 0, 1 };

  if (self->code == NULL || side <= 0)
    return;

  /* Whole pixels per module keep the edges sharp. */
  modules = self->code->width + 2 * QUIET_MODULES;
  module = MAX (side / modules, 1);
  side = module * modules;
  origin_x = (width - side) / 2;
  origin_y = (height - side) / 2;

  gtk_snapshot_append_color (snapshot, &white, &GRAPHENE_RECT_INIT (origin_x, origin_y, side, side));
  for (int y = 0; y < self->code->width; y++)
    {
      const unsigned char *row = self->code->data + y * self->code->width;
      int x = 0;

      /* One rectangle per run of dark modules. */
      while (x < self->code->width)
        {
          int start;

          if ((row[x] & 1) == 0)
            {
              x++;
              continue;
            }
          start = x;
          while (x < self->code->width && (row[x] & 1) != 0)
            x++;
          gtk_snapshot_append_color (snapshot, &black,
                                     &GRAPHENE_RECT_INIT (origin_x + (QUIET_MODULES + start) * module,
                                                          origin_y + (QUIET_MODULES + y) * module,
                                                          (x - start) * module, module));
        }
    }
}

static void
ow_kiosk_qr_finalize (GObject *object)
{
  OwKioskQr *self = OW_KIOSK_QR (object);

  g_clear_pointer (&self->code, QRcode_free);
  g_clear_pointer (&self->text, g_free);

  G_OBJECT_CLASS (ow_kiosk_qr_parent_class)->finalize (object);
}

static void
ow_kiosk_qr_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  OwKioskQr *self = OW_KIOSK_QR (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_kiosk_qr_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  OwKioskQr *self = OW_KIOSK_QR (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      ow_kiosk_qr_set_text (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_kiosk_qr_class_init (OwKioskQrClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = ow_kiosk_qr_finalize;
  object_class->get_property = ow_kiosk_qr_get_property;
  object_class->set_property = ow_kiosk_qr_set_property;

  widget_class->measure = ow_kiosk_qr_measure;
  widget_class->snapshot = ow_kiosk_qr_snapshot;

  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "qrcode");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
ow_kiosk_qr_init (OwKioskQr *self)
{
}

GtkWidget *
ow_kiosk_qr_new (void)
{
  return g_object_new (OW_TYPE_KIOSK_QR, NULL);
}

const char *
ow_kiosk_qr_get_text (OwKioskQr *self)
{
  g_return_val_if_fail (OW_IS_KIOSK_QR (self), NULL);

  return self->text;
}

void
ow_kiosk_qr_set_text (OwKioskQr  *self,
                      const char *text)
{
  g_return_if_fail (OW_IS_KIOSK_QR (self));

  if (g_strcmp0 (self->text, text) == 0)
    return;
  g_free (self->text);
  self->text = g_strdup (text);
  g_clear_pointer (&self->code, QRcode_free);
  /* Level M, as on the printed ticket: a screen photographed at an angle loses contrast. */
  if (text != NULL && *text != '\0')
    self->code = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXT]);
}

int
ow_kiosk_qr_get_width (OwKioskQr *self)
{
  g_return_val_if_fail (OW_IS_KIOSK_QR (self), 0);

  return self->code != NULL ? self->code->width : 0;
}
