package org.kdspark.jobs.sources;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
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
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.kdspark.kd.data.InputSpec;

/**
 * Decodes PNG, JPEG and BMP bytes into the image table's CHW uint8 pixels ({@link ImageGeometry}): converted to grey or
 * RGB as Pillow converts them ({@code convert("L")}: {@code (19595 R + 38470 G + 7471 B + 2^15) >> 16}; alpha dropped),
 * then resized with Pillow's filters ({@link PillowResample}). The samples are taken as the file stores them: no colour
 * management (an embedded ICC profile is not applied, and grey images are not passed through the JDK's linear grey
 * colour space, which would brighten them), as Pillow and libjpeg give them.
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

    /** {@code encoded} as CHW pixels of {@code geometry}. */
    public static byte[] decode(byte[] encoded, ImageGeometry geometry) throws UndecodableImageException {
        BufferedImage image = read(encoded);
        byte[][] planes = geometry.apply(planes(image, geometry.channels()), image.getWidth(), image.getHeight());
        int plane = geometry.height() * geometry.width();
        byte[] out = new byte[geometry.channels() * plane];
        for (int c = 0; c < planes.length; c++) {
            System.arraycopy(planes[c], 0, out, c * plane, plane);
        }
        return out;
    }

    /** {@code encoded} scaled to {@code spec}'s size exactly (bilinear). */
    public static byte[] decode(byte[] encoded, InputSpec spec) throws UndecodableImageException {
        return decode(encoded, ImageGeometry.exact(spec));
    }

    /** The image's samples as {@code channels} planes (grey, or R, G, B), each {@code width x height}, row-major. */
    static byte[][] planes(BufferedImage image, int channels) {
        int w = image.getWidth();
        int h = image.getHeight();
        Raster raster = image.getRaster();
        ColorModel cm = image.getColorModel();
        int space = cm.getColorSpace().getType();
        boolean direct = cm instanceof ComponentColorModel && raster.getDataBuffer() instanceof DataBufferByte
                && raster.getSampleModel() instanceof ComponentSampleModel
                && (space == ColorSpace.TYPE_RGB && cm.getNumColorComponents() == 3 || space == ColorSpace.TYPE_GRAY);
        byte[][] source;
        if (direct) {
            source = bands(raster, space == ColorSpace.TYPE_GRAY ? 1 : 3);
        } else if (space == ColorSpace.TYPE_GRAY && cm instanceof ComponentColorModel) {
            // 16-bit grey: the raw samples to 8 bits (getRGB would pass them through the linear grey colour space)
            source = new byte[1][w * h];
            int bits = cm.getComponentSize(0);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    source[0][y * w + x] = (byte) (bits > 8 ? row[x] >> (bits - 8) : row[x]);
                }
            }
        } else {
            // palettes, packed and 16-bit colour: the JDK's conversion to sRGB
            int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
            source = new byte[3][w * h];
            for (int i = 0; i < argb.length; i++) {
                source[0][i] = (byte) (argb[i] >> 16);
                source[1][i] = (byte) (argb[i] >> 8);
                source[2][i] = (byte) argb[i];
            }
        }
        if (source.length == channels) {
            return source;
        }
        if (channels == 3) {
            return new byte[][] {source[0], source[0].clone(), source[0].clone()};
        }
        byte[] luma = new byte[w * h];
        for (int i = 0; i < luma.length; i++) {
            luma[i] = (byte) (((source[0][i] & 0xFF) * 19595 + (source[1][i] & 0xFF) * 38470 + (source[2][i] & 0xFF) * 7471 + 0x8000) >> 16);
        }
        return new byte[][] {luma};
    }

    /** The first {@code count} bands of an interleaved byte raster, as planes. */
    private static byte[][] bands(Raster raster, int count) {
        ComponentSampleModel sm = (ComponentSampleModel) raster.getSampleModel();
        byte[] data = ((DataBufferByte) raster.getDataBuffer()).getData();
        int w = raster.getWidth();
        int h = raster.getHeight();
        int stride = sm.getScanlineStride();
        int pixel = sm.getPixelStride();
        int base = raster.getDataBuffer().getOffset()
                + sm.getOffset(-raster.getSampleModelTranslateX(), -raster.getSampleModelTranslateY());
        int[] bandOffsets = sm.getBandOffsets();
        int[] banks = sm.getBankIndices();
        byte[][] out = new byte[count][w * h];
        for (int b = 0; b < count; b++) {
            byte[] bank = ((DataBufferByte) raster.getDataBuffer()).getData(banks[b]);
            byte[] plane = out[b];
            int bandOffset = bandOffsets[b] - bandOffsets[0];
            for (int y = 0; y < h; y++) {
                int from = base + y * stride + bandOffset;
                int to = y * w;
                if (pixel == 1) {
                    System.arraycopy(bank, from, plane, to, w);
                } else {
                    for (int x = 0; x < w; x++) {
                        plane[to + x] = bank[from + x * pixel];
                    }
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
        // in memory: ImageIO's default stream for an InputStream caches it in a temporary file
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
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
}
