package org.kdspark.jobs.sources;

import org.kdspark.jobs.config.Interpolation;

/**
 * Resizes 8-bit image planes exactly as Pillow's {@code Image.resize} does, so that an image ingested here has the
 * pixels torchvision's (and timm's) transforms give the same file, and a teacher trained on those sees what it was
 * trained on. Bilinear and bicubic are Pillow's separable convolutions (support scaled by the reduction factor, so
 * shrinking is antialiased), in its fixed-point arithmetic: horizontal pass first, each pass rounded to 8 bits; nearest
 * is Pillow's affine nearest-neighbour. (Pillow's {@code src/libImaging/Resample.c} is the reference.)
 */
final class PillowResample {

    /** Pillow's fixed-point precision for 8-bit images: {@code 32 - 8 - 2}. */
    private static final int PRECISION_BITS = 22;

    private PillowResample() {
    }

    /** {@code plane} ({@code width x height}, row-major) resized to {@code outWidth x outHeight}. */
    static byte[] resize(byte[] plane, int width, int height, int outWidth, int outHeight, Interpolation filter) {
        if (width == outWidth && height == outHeight) {
            return plane;
        }
        if (filter == Interpolation.NEAREST) {
            return nearest(plane, width, height, outWidth, outHeight);
        }
        byte[] rows = plane;
        int rowsFirst = 0;
        int rowsHeight = height;
        Coefficients vertical = coefficients(height, outHeight, filter);
        if (width != outWidth) {
            // only the rows the vertical pass reads are resampled horizontally
            rowsFirst = vertical.bounds[0];
            int last = vertical.bounds[2 * outHeight - 2] + vertical.bounds[2 * outHeight - 1];
            rowsHeight = last - rowsFirst;
            rows = horizontal(plane, width, rowsFirst, rowsHeight, outWidth, coefficients(width, outWidth, filter));
        }
        if (height == outHeight) {
            return rows;
        }
        return vertical(rows, outWidth, rowsFirst, outHeight, vertical);
    }

    /** Per output position: the first input position, how many are read, and their fixed-point weights. */
    private record Coefficients(int size, int[] bounds, int[] weights) {
    }

    private static Coefficients coefficients(int inSize, int outSize, Interpolation filter) {
        double support = filter == Interpolation.BICUBIC ? 2.0 : 1.0;
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        support *= filterScale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] bounds = new int[outSize * 2];
        int[] weights = new int[outSize * ksize];
        double[] k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterScale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            double ww = 0;
            for (int x = 0; x < xmax; x++) {
                double w = filter(filter, (x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (int x = 0; x < ksize; x++) {
                double w = x < xmax && ww != 0 ? k[x] / ww : 0;
                weights[xx * ksize + x] = (int) (w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
            }
            bounds[2 * xx] = xmin;
            bounds[2 * xx + 1] = xmax;
        }
        return new Coefficients(ksize, bounds, weights);
    }

    private static double filter(Interpolation filter, double x) {
        double a = Math.abs(x);
        if (filter == Interpolation.BICUBIC) {
            // Pillow's bicubic, a = -0.5
            if (a < 1.0) {
                return ((-0.5 + 2.0) * a - (-0.5 + 3.0)) * a * a + 1;
            }
            if (a < 2.0) {
                return (((a - 5) * a + 8) * a - 4) * -0.5;
            }
            return 0.0;
        }
        return a < 1.0 ? 1.0 - a : 0.0;
    }

    private static byte[] horizontal(byte[] in, int width, int firstRow, int rows, int outWidth, Coefficients c) {
        byte[] out = new byte[outWidth * rows];
        for (int y = 0; y < rows; y++) {
            int row = (firstRow + y) * width;
            for (int xx = 0; xx < outWidth; xx++) {
                int xmin = c.bounds[2 * xx];
                int n = c.bounds[2 * xx + 1];
                int k = xx * c.size;
                int ss = 1 << (PRECISION_BITS - 1);
                for (int x = 0; x < n; x++) {
                    ss += (in[row + xmin + x] & 0xFF) * c.weights[k + x];
                }
                out[y * outWidth + xx] = clip8(ss);
            }
        }
        return out;
    }

    /**
     * {@code in} holds the rows from {@code firstRow} on; the bounds are in the whole image's rows. Accumulated a row at a
     * time (the same sums in the same order as Pillow's pixel-at-a-time loop, in a form the JIT vectorises).
     */
    private static byte[] vertical(byte[] in, int width, int firstRow, int outHeight, Coefficients c) {
        byte[] out = new byte[width * outHeight];
        int[] acc = new int[width];
        for (int yy = 0; yy < outHeight; yy++) {
            int ymin = c.bounds[2 * yy] - firstRow;
            int n = c.bounds[2 * yy + 1];
            int k = yy * c.size;
            java.util.Arrays.fill(acc, 1 << (PRECISION_BITS - 1));
            for (int y = 0; y < n; y++) {
                int weight = c.weights[k + y];
                int row = (ymin + y) * width;
                for (int xx = 0; xx < width; xx++) {
                    acc[xx] += (in[row + xx] & 0xFF) * weight;
                }
            }
            int base = yy * width;
            for (int xx = 0; xx < width; xx++) {
                out[base + xx] = clip8(acc[xx]);
            }
        }
        return out;
    }

    private static byte clip8(int ss) {
        int v = ss >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    /**
     * Pillow's nearest neighbour (its affine scaling): output pixel {@code x} takes input pixel {@code (int) xo}, with
     * {@code xo} starting at half the scale and growing by the scale per pixel, summed as Pillow sums it.
     */
    private static byte[] nearest(byte[] in, int width, int height, int outWidth, int outHeight) {
        int[] xs = positions(width, outWidth);
        int[] ys = positions(height, outHeight);
        byte[] out = new byte[outWidth * outHeight];
        for (int y = 0; y < outHeight; y++) {
            int row = ys[y] * width;
            for (int x = 0; x < outWidth; x++) {
                out[y * outWidth + x] = in[row + xs[x]];
            }
        }
        return out;
    }

    private static int[] positions(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double at = scale * 0.5;
        int[] out = new int[outSize];
        for (int i = 0; i < outSize; i++) {
            out[i] = Math.min((int) at, inSize - 1);
            at += scale;
        }
        return out;
    }
}
