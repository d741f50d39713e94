package org.kdspark.jobs.generate;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.SplittableRandom;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * One photo-like RGB scene made from a 28x28 grey item: a textured background (a two-colour gradient, smooth value
 * noise, a grating, a few soft blobs), the item as a coloured, shaded silhouette (scaled to 50-90% of the shorter side,
 * rotated by up to 12 degrees, maybe mirrored, placed anywhere with at most 5% of it outside, over its own soft
 * shadow), then a lighting change, a white-balance shift, sensor noise and JPEG compression at quality 75-95.
 *
 * <p>Everything is drawn from the {@link SplittableRandom} given, so a scene is a pure function of its item and seed.
 * With {@code hueBins > 0} the item's hue is taken inside bin {@code hueBin} of that many equal slices of the colour
 * wheel (the middle 60% of the slice), so that a class can be a garment in a colour family; otherwise any hue.
 */
public final class PhotoScene {

    /** Side of the source items (Fashion-MNIST's). */
    public static final int ITEM = 28;

    private PhotoScene() {
    }

    /**
     * Renders a scene and returns its JPEG bytes.
     *
     * @param item   {@code 28 x 28} grey values, 0 background, row-major
     * @param hueBin the item's hue slice, ignored when {@code hueBins} is 0
     */
    public static byte[] jpeg(byte[] item, int width, int height, int hueBin, int hueBins, SplittableRandom random) {
        BufferedImage image = render(item, width, height, hueBin, hueBins, random);
        return encode(image, 75 + random.nextInt(21));
    }

    /** The scene's pixels, before compression, as a {@code TYPE_3BYTE_BGR} image. */
    static BufferedImage render(byte[] item, int width, int height, int hueBin, int hueBins, SplittableRandom random) {
        if (item.length != ITEM * ITEM) {
            throw new IllegalArgumentException("an item is " + ITEM + "x" + ITEM + " grey values, not " + item.length);
        }
        float[] rgb = background(width, height, random);
        drawItem(rgb, width, height, item, hueBin, hueBins, random);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        double brightness = 0.8 + 0.4 * random.nextDouble();
        double[] gain = {gain(random) * brightness, gain(random) * brightness, gain(random) * brightness};
        double lx = random.nextDouble() * width;
        double ly = random.nextDouble() * height;
        double falloff = 0.35 * random.nextDouble() / ((double) width * width + (double) height * height);
        double sigma = 2 + 6 * random.nextDouble();
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int p = y * width + x;
                double light = 1 - falloff * ((x - lx) * (x - lx) + (y - ly) * (y - ly));
                for (int c = 0; c < 3; c++) {
                    double v = rgb[3 * p + c] * gain[c] * light + sigma * random.nextGaussian();
                    bgr[3 * p + 2 - c] = (byte) clamp(v);
                }
            }
        }
        return image;
    }

    private static double gain(SplittableRandom random) {
        return 0.9 + 0.2 * random.nextDouble();
    }

    /** Gradient between two colours, value noise, a grating and soft blobs; interleaved RGB in 0..255. */
    private static float[] background(int width, int height, SplittableRandom random) {
        double[] a = hsv(random.nextDouble(), 0.1 + 0.5 * random.nextDouble(), 0.25 + 0.7 * random.nextDouble());
        double[] b = hsv(random.nextDouble(), 0.1 + 0.5 * random.nextDouble(), 0.25 + 0.7 * random.nextDouble());
        double angle = 2 * Math.PI * random.nextDouble();
        double ca = Math.cos(angle);
        double sa = Math.sin(angle);
        double diagonal = Math.hypot(width, height);
        int cells = 3 + random.nextInt(10);
        double[] grid = new double[(cells + 1) * (cells + 1)];
        for (int i = 0; i < grid.length; i++) {
            grid[i] = 2 * random.nextDouble() - 1;
        }
        double noiseAmplitude = 10 + 30 * random.nextDouble();
        double gratingAmplitude = 25 * random.nextDouble();
        double gratingFrequency = 2 * Math.PI * (2 + 10 * random.nextDouble()) / diagonal;
        double ga = 2 * Math.PI * random.nextDouble();
        double gx = Math.cos(ga) * gratingFrequency;
        double gy = Math.sin(ga) * gratingFrequency;
        double[] tint = {0.8 + 0.4 * random.nextDouble(), 0.8 + 0.4 * random.nextDouble(), 0.8 + 0.4 * random.nextDouble()};
        float[] rgb = new float[3 * width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                double t = ((x - width / 2.0) * ca + (y - height / 2.0) * sa) / diagonal + 0.5;
                double noise = noiseAmplitude * valueNoise(grid, cells, x / (double) width, y / (double) height);
                double grating = gratingAmplitude * Math.sin(x * gx + y * gy);
                int p = 3 * (y * width + x);
                for (int c = 0; c < 3; c++) {
                    rgb[p + c] = (float) (255 * (a[c] + (b[c] - a[c]) * t) + noise + grating * tint[c]);
                }
            }
        }
        int blobs = random.nextInt(4);
        for (int i = 0; i < blobs; i++) {
            double[] colour = hsv(random.nextDouble(), random.nextDouble(), random.nextDouble());
            double alpha = 0.3 + 0.4 * random.nextDouble();
            double cx = random.nextDouble() * width;
            double cy = random.nextDouble() * height;
            double rx = (0.05 + 0.25 * random.nextDouble()) * width;
            double ry = (0.05 + 0.25 * random.nextDouble()) * height;
            for (int y = Math.max(0, (int) (cy - ry)); y < Math.min(height, (int) Math.ceil(cy + ry)); y++) {
                for (int x = Math.max(0, (int) (cx - rx)); x < Math.min(width, (int) Math.ceil(cx + rx)); x++) {
                    double d = Math.hypot((x - cx) / rx, (y - cy) / ry);
                    if (d < 1) {
                        double w = alpha * Math.min(1, 4 * (1 - d)); // soft edge over the outer quarter
                        int p = 3 * (y * width + x);
                        for (int c = 0; c < 3; c++) {
                            rgb[p + c] = (float) ((1 - w) * rgb[p + c] + w * 255 * colour[c]);
                        }
                    }
                }
            }
        }
        return rgb;
    }

    /** Bilinear interpolation of a {@code (cells + 1)^2} grid at {@code (u, v)} in the unit square, in [-1, 1]. */
    private static double valueNoise(double[] grid, int cells, double u, double v) {
        double gx = u * cells;
        double gy = v * cells;
        int x0 = Math.min(cells - 1, (int) gx);
        int y0 = Math.min(cells - 1, (int) gy);
        double fx = gx - x0;
        double fy = gy - y0;
        int n = cells + 1;
        double top = grid[y0 * n + x0] * (1 - fx) + grid[y0 * n + x0 + 1] * fx;
        double bottom = grid[(y0 + 1) * n + x0] * (1 - fx) + grid[(y0 + 1) * n + x0 + 1] * fx;
        return top * (1 - fy) + bottom * fy;
    }

    private static void drawItem(float[] rgb, int width, int height, byte[] item, int hueBin, int hueBins, SplittableRandom random) {
        int shorter = Math.min(width, height);
        double side = shorter * (0.5 + 0.4 * random.nextDouble());
        double scale = side / ITEM;
        double cx = side * 0.45 + random.nextDouble() * (width - 0.9 * side);
        double cy = side * 0.45 + random.nextDouble() * (height - 0.9 * side);
        double angle = Math.toRadians(24 * random.nextDouble() - 12);
        boolean mirror = random.nextBoolean();
        double hue = hueBins > 0 ? (hueBin + 0.2 + 0.6 * random.nextDouble()) / hueBins : random.nextDouble();
        double luminance = luminance(rgb, width, height, cx, cy, side);
        // the item stands out from what is behind it: dark on a light background, light on a dark one
        double value = luminance > 128 ? 0.25 + 0.3 * random.nextDouble() : 0.65 + 0.35 * random.nextDouble();
        double[] colour = hsv(hue, 0.55 + 0.45 * random.nextDouble(), value);
        double shadowX = (1 + 3 * random.nextDouble()) * scale / 2;
        double shadowY = (1 + 3 * random.nextDouble()) * scale / 2;
        double cos = Math.cos(angle);
        double sin = Math.sin(angle);
        double reach = side * 0.75 + Math.max(shadowX, shadowY);
        int x0 = Math.max(0, (int) Math.floor(cx - reach));
        int x1 = Math.min(width, (int) Math.ceil(cx + reach));
        int y0 = Math.max(0, (int) Math.floor(cy - reach));
        int y1 = Math.min(height, (int) Math.ceil(cy + reach));
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                double ink = sample(item, x - cx, y - cy, cos, sin, scale, mirror);
                double shadow = sample(item, x - shadowX - cx, y - shadowY - cy, cos, sin, scale, mirror);
                int p = 3 * (y * width + x);
                double alpha = Math.min(1, ink / 40);
                double dark = 1 - 0.4 * Math.min(1, shadow / 40);
                double shade = 0.45 + 0.55 * ink / 255;
                for (int c = 0; c < 3; c++) {
                    rgb[p + c] = (float) ((1 - alpha) * rgb[p + c] * dark + alpha * 255 * colour[c] * shade);
                }
            }
        }
    }

    /** The item's grey value (0..255, bilinear) under the canvas offset {@code (dx, dy)} from its centre. */
    private static double sample(byte[] item, double dx, double dy, double cos, double sin, double scale, boolean mirror) {
        double u = (dx * cos + dy * sin) / scale;
        double v = (-dx * sin + dy * cos) / scale;
        double sx = (mirror ? -u : u) + ITEM / 2.0 - 0.5;
        double sy = v + ITEM / 2.0 - 0.5;
        int ix = (int) Math.floor(sx);
        int iy = (int) Math.floor(sy);
        if (ix < -1 || iy < -1 || ix >= ITEM || iy >= ITEM) {
            return 0;
        }
        double fx = sx - ix;
        double fy = sy - iy;
        return (1 - fy) * ((1 - fx) * at(item, ix, iy) + fx * at(item, ix + 1, iy))
                + fy * ((1 - fx) * at(item, ix, iy + 1) + fx * at(item, ix + 1, iy + 1));
    }

    private static int at(byte[] item, int x, int y) {
        return x < 0 || y < 0 || x >= ITEM || y >= ITEM ? 0 : item[y * ITEM + x] & 0xff;
    }

    /** Mean luminance of the background over the item's square. */
    private static double luminance(float[] rgb, int width, int height, double cx, double cy, double side) {
        double sum = 0;
        int n = 0;
        for (int y = Math.max(0, (int) (cy - side / 2)); y < Math.min(height, (int) (cy + side / 2)); y++) {
            for (int x = Math.max(0, (int) (cx - side / 2)); x < Math.min(width, (int) (cx + side / 2)); x++) {
                int p = 3 * (y * width + x);
                sum += 0.299 * rgb[p] + 0.587 * rgb[p + 1] + 0.114 * rgb[p + 2];
                n++;
            }
        }
        return n == 0 ? 128 : sum / n;
    }

    /** HSV in [0, 1] to RGB in [0, 1]. */
    static double[] hsv(double h, double s, double v) {
        double hh = (h - Math.floor(h)) * 6;
        int sector = (int) hh;
        double f = hh - sector;
        double p = v * (1 - s);
        double q = v * (1 - s * f);
        double t = v * (1 - s * (1 - f));
        return switch (sector) {
            case 0 -> new double[] {v, t, p};
            case 1 -> new double[] {q, v, p};
            case 2 -> new double[] {p, v, t};
            case 3 -> new double[] {p, q, v};
            case 4 -> new double[] {t, p, v};
            default -> new double[] {v, p, q};
        };
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }

    /** Baseline JPEG at the given quality, 4:2:0 chroma, as cameras and most photo sets store them. */
    public static byte[] encode(BufferedImage image, int quality) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        try {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality / 100f);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(8192);
            try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) { // no temporary file per image
                writer.setOutput(out);
                writer.write(null, new IIOImage(image, null, null), param);
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a JPEG in memory", e);
        } finally {
            writer.dispose();
        }
    }
}
