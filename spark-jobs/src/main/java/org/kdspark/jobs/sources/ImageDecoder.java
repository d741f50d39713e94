package org.kdspark.jobs.sources;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import org.kdspark.kd.data.InputSpec;

/**
 * Decodes PNG/JPEG/BMP bytes into CHW uint8 pixels of a given {@link InputSpec}: converted to grayscale
 * (luma) or RGB, and resized (bilinear) when the size differs.
 */
public final class ImageDecoder {

    private ImageDecoder() {
    }

    /** Thrown for bytes that are not a decodable image; the message is the reject reason. */
    public static final class UndecodableImageException extends Exception {
        public UndecodableImageException(String message) {
            super(message);
        }
    }

    public static byte[] decode(byte[] encoded, InputSpec spec) throws UndecodableImageException {
        if (encoded == null || encoded.length == 0) {
            throw new UndecodableImageException("empty file (0 bytes)");
        }
        BufferedImage image;
        try {
            image = ImageIO.read(new ByteArrayInputStream(encoded));
        } catch (IOException | RuntimeException e) {
            throw new UndecodableImageException("undecodable image: " + e.getMessage());
        }
        if (image == null) {
            throw new UndecodableImageException("not a PNG, JPEG or BMP image (no decoder recognised " + encoded.length + " bytes)");
        }
        if (image.getWidth() != spec.width() || image.getHeight() != spec.height()) {
            image = resize(image, spec.width(), spec.height());
        }
        int h = spec.height();
        int w = spec.width();
        byte[] out = new byte[spec.valuesPerImage()];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = image.getRGB(x, y);
                int r = (rgb >> 16) & 0xFF;
                int g = (rgb >> 8) & 0xFF;
                int b = rgb & 0xFF;
                int pos = y * w + x;
                if (spec.channels() == 1) {
                    out[pos] = (byte) Math.round(0.299 * r + 0.587 * g + 0.114 * b);
                } else {
                    out[pos] = (byte) r;
                    out[h * w + pos] = (byte) g;
                    out[2 * h * w + pos] = (byte) b;
                }
            }
        }
        return out;
    }

    private static BufferedImage resize(BufferedImage src, int width, int height) {
        BufferedImage dst = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = dst.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(src, 0, 0, width, height, null);
        } finally {
            g.dispose();
        }
        return dst;
    }
}
