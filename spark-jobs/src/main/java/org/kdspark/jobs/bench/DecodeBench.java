package org.kdspark.jobs.bench;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.kdspark.jobs.config.Interpolation;
import org.kdspark.jobs.config.ResizeMode;
import org.kdspark.jobs.generate.PhotoScene;
import org.kdspark.jobs.sources.ImageDecoder;
import org.kdspark.jobs.sources.ImageGeometry;

/**
 * Image decoding on one core, the per-image work of every ingest: photo-like RGB JPEGs decoded into the image table's
 * CHW pixels by {@link ImageDecoder}, against the baseline of the JDK's own route (ImageIO, then {@code getRGB} per
 * pixel and Java2D's bilinear scaling). The two are run in alternating rounds; each figure is the median over the
 * rounds, with the range. It also sizes the choice of the image table's column: the encoded bytes of an image against
 * its decoded pixels at 64, 128 and 224 pixels, and the cost of decoding it there.
 */
public final class DecodeBench {

    /** Distinct images cycled through, so that no cache holds the work of the last one. */
    static final int IMAGES = 48;

    private DecodeBench() {
    }

    /** Measures for about {@code seconds} per figure and round; {@code rounds} alternations of baseline and decoder. */
    public static Map<String, Object> run(int size, double seconds, int rounds) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("kind", "decode-bench");
        out.put("schema_version", 1);
        out.put("created_at", Instant.now().toString());
        out.put("code", org.kdspark.kd.provenance.BuildInfo.code());
        out.put("java", System.getProperty("java.version"));
        out.put("load_before", InferenceBench.loadAverage());
        out.put("threads", 1);
        List<byte[]> jpegs = photos(size, size, IMAGES, 90);
        out.put("jpeg_size", size + "x" + size);
        out.put("jpeg_mean_bytes", jpegs.stream().mapToInt(b -> b.length).average().orElse(0));

        Map<String, Object> cases = new LinkedHashMap<>();
        int crop = size * 7 / 8;
        cases.put("decode " + size + "x" + size, compare(jpegs, size, new ImageGeometry(3, size, size, ResizeMode.EXACT, 0,
                Interpolation.BILINEAR), seconds, rounds));
        cases.put("decode, resize to " + crop + "x" + crop, compare(jpegs, crop, new ImageGeometry(3, crop, crop, ResizeMode.EXACT, 0,
                Interpolation.BILINEAR), seconds, rounds));
        cases.put("decode, centre crop " + crop + "x" + crop, compare(jpegs, -1, new ImageGeometry(3, crop, crop, ResizeMode.CENTER_CROP,
                size, Interpolation.BILINEAR), seconds, rounds));
        out.put("cases", cases);

        // encoded bytes against pixels, and the decode cost, at the sizes a table is ingested at
        Map<String, Object> storage = new LinkedHashMap<>();
        for (int s : new int[] {64, 128, 224}) {
            List<byte[]> at = photos(s, s, IMAGES, 90);
            ImageGeometry g = new ImageGeometry(3, s, s, ResizeMode.EXACT, 0, Interpolation.BILINEAR);
            List<Double> rates = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                rates.add(rate(() -> decode(at, g), at.size(), seconds));
            }
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("jpeg_q90_bytes", Math.round(at.stream().mapToInt(b -> b.length).average().orElse(0)));
            e.put("pixel_bytes", 3 * s * s);
            e.put("decode_us_per_image", 1e6 / median(rates));
            storage.put(s + "x" + s, e);
        }
        out.put("storage", storage);
        out.put("load_after", InferenceBench.loadAverage());
        return out;
    }

    /** Alternating rounds of the baseline and the decoder; {@code baselineSize} -1: the baseline crops after decoding. */
    private static Map<String, Object> compare(List<byte[]> jpegs, int baselineSize, ImageGeometry geometry, double seconds, int rounds) {
        List<Double> base = new ArrayList<>();
        List<Double> ours = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            base.add(rate(() -> jdk(jpegs, baselineSize, geometry.height()), jpegs.size(), seconds));
            ours.add(rate(() -> decode(jpegs, geometry), jpegs.size(), seconds));
        }
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("jdk_getrgb_images_per_s", median(base));
        e.put("jdk_getrgb_range", List.of(min(base), max(base)));
        e.put("decoder_images_per_s", median(ours));
        e.put("decoder_range", List.of(min(ours), max(ours)));
        e.put("ratio", median(ours) / median(base));
        return e;
    }

    private static long decode(List<byte[]> jpegs, ImageGeometry g) {
        long sum = 0;
        for (byte[] b : jpegs) {
            try {
                sum += ImageDecoder.decode(b, g)[0];
            } catch (ImageDecoder.UndecodableImageException e) {
                throw new IllegalStateException(e);
            }
        }
        return sum;
    }

    /**
     * The JDK's route: ImageIO, Java2D bilinear scaling to {@code size} (-1: none, then the centre {@code crop}), and
     * {@code getRGB} per pixel into CHW planes.
     */
    private static long jdk(List<byte[]> jpegs, int size, int crop) {
        long sum = 0;
        for (byte[] b : jpegs) {
            try {
                BufferedImage image = ImageIO.read(new ByteArrayInputStream(b));
                int x0 = 0;
                int y0 = 0;
                int side = size;
                if (size > 0 && (image.getWidth() != size || image.getHeight() != size)) {
                    BufferedImage dst = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
                    Graphics2D g = dst.createGraphics();
                    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
                    g.drawImage(image, 0, 0, size, size, null);
                    g.dispose();
                    image = dst;
                } else if (size < 0) {
                    side = crop;
                    x0 = (image.getWidth() - crop) / 2;
                    y0 = (image.getHeight() - crop) / 2;
                }
                byte[] out = new byte[3 * side * side];
                int plane = side * side;
                for (int y = 0; y < side; y++) {
                    for (int x = 0; x < side; x++) {
                        int rgb = image.getRGB(x0 + x, y0 + y);
                        int pos = y * side + x;
                        out[pos] = (byte) (rgb >> 16);
                        out[plane + pos] = (byte) (rgb >> 8);
                        out[2 * plane + pos] = (byte) rgb;
                    }
                }
                sum += out[0];
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return sum;
    }

    /** Images per second of {@code pass} (which handles {@code images} images), run for at least {@code seconds}. */
    private static double rate(java.util.function.LongSupplier pass, int images, double seconds) {
        pass.getAsLong();
        long start = System.nanoTime();
        long done = 0;
        long sink = 0;
        while (System.nanoTime() - start < seconds * 1e9) {
            sink += pass.getAsLong();
            done += images;
        }
        double rate = done / ((System.nanoTime() - start) / 1e9);
        return sink == Long.MIN_VALUE ? -rate : rate;
    }

    /** Deterministic photo-like RGB JPEGs: smooth gradients and waves, textured with noise, as a camera's images are. */
    static List<byte[]> photos(int width, int height, int count, int quality) {
        List<byte[]> out = new ArrayList<>();
        Random random = new Random(7);
        for (int i = 0; i < count; i++) {
            BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
            double fx = 3 + random.nextDouble() * 9;
            double fy = 3 + random.nextDouble() * 9;
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    double u = x / (double) width;
                    double v = y / (double) height;
                    int r = clamp(128 + 100 * Math.sin(u * fx) * Math.cos(v * fy) + random.nextGaussian() * 10);
                    int g = clamp(255 * u + random.nextGaussian() * 10);
                    int b = clamp(255 * v * (1 - u) + 60 + random.nextGaussian() * 10);
                    img.setRGB(x, y, (r << 16) | (g << 8) | b);
                }
            }
            out.add(PhotoScene.encode(img, quality));
        }
        return out;
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }

    private static double median(List<Double> values) {
        List<Double> s = new ArrayList<>(values);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static double min(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    private static double max(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }
}
