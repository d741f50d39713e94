package org.kdspark.jobs.sources;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.kdspark.kd.data.InputSpec;

/**
 * Decodes PNG, JPEG and BMP bytes into CHW uint8 pixels of a given {@link InputSpec}: converted to grayscale (luma)
 * or RGB, and resized (bilinear) when the size differs.
 *
 * <p>Strict: an image the decoder can only partly read is rejected, not filled in. The JDK's decoders fill the missing
 * part of a truncated JPEG with grey and ignore a PNG's chunk checksums; here every warning the reader reports (a
 * missing end marker, premature end of data) rejects the image with the warning as the reason, and a PNG's chunks are
 * checked (each chunk's CRC-32, and the closing IEND chunk) before it is decoded.
 */
public final class ImageDecoder {

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private ImageDecoder() {
    }

    /** Thrown for bytes that are not a decodable image; the message is the reject reason. */
    public static final class UndecodableImageException extends Exception {
        private static final long serialVersionUID = 1L;

        public UndecodableImageException(String message) {
            super(message);
        }
    }

    public static byte[] decode(byte[] encoded, InputSpec spec) throws UndecodableImageException {
        BufferedImage image = read(encoded);
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

    /** The whole image, or why it cannot be had. */
    static BufferedImage read(byte[] encoded) throws UndecodableImageException {
        if (encoded == null || encoded.length == 0) {
            throw new UndecodableImageException("empty file (0 bytes)");
        }
        if (startsWith(encoded, PNG_SIGNATURE)) {
            checkPngChunks(encoded);
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(encoded))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new UndecodableImageException("not a PNG, JPEG or BMP image (no decoder recognised " + encoded.length + " bytes)");
            }
            ImageReader reader = readers.next();
            List<String> warnings = new ArrayList<>();
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            try {
                reader.setInput(in, true, true);
                BufferedImage image = reader.read(0);
                if (!warnings.isEmpty()) {
                    throw new UndecodableImageException("corrupt " + reader.getFormatName().toUpperCase(java.util.Locale.ROOT) + " image: "
                            + warnings.get(0) + (warnings.size() > 1 ? " (and " + (warnings.size() - 1) + " more warnings)" : ""));
                }
                return image;
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw new UndecodableImageException("undecodable image: " + e.getMessage());
        }
    }

    /** A PNG's chunks, each with a matching CRC-32, ending in IEND. */
    private static void checkPngChunks(byte[] png) throws UndecodableImageException {
        ByteBuffer b = ByteBuffer.wrap(png);
        b.position(PNG_SIGNATURE.length);
        CRC32 crc = new CRC32();
        while (b.remaining() >= 12) {
            long length = Integer.toUnsignedLong(b.getInt());
            int start = b.position();
            String type = new String(png, start, 4, StandardCharsets.ISO_8859_1);
            if (length > b.remaining() - 8) {
                throw new UndecodableImageException("corrupt PNG image: chunk " + type + " is cut short (truncated file)");
            }
            crc.reset();
            crc.update(png, start, 4 + (int) length);
            b.position(start + 4 + (int) length);
            long stored = Integer.toUnsignedLong(b.getInt());
            if (stored != crc.getValue()) {
                throw new UndecodableImageException("corrupt PNG image: chunk " + type + " fails its CRC check");
            }
            if (type.equals("IEND")) {
                return;
            }
        }
        throw new UndecodableImageException("corrupt PNG image: no IEND chunk (truncated file)");
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[i] != prefix[i]) {
                return false;
            }
        }
        return true;
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
