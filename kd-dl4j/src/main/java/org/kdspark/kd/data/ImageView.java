package org.kdspark.kd.data;

import java.util.SplittableRandom;

/**
 * One augmented view of an image, as in FKD (Shen and Xing 2022): the teacher labels exactly this view and the student
 * trains on the same view, rebuilt from its parameters. A view flips the image horizontally (when {@code flip}), then
 * shifts it by {@code dx} columns and {@code dy} rows, filling with zeros. View 0 is the image itself.
 *
 * <p>The parameters of view {@code v} of image {@code id} are a function of (seed, id, v) alone, so the soft-label job
 * and every later reader agree without sharing state.
 */
public record ImageView(int view, int dx, int dy, boolean flip) implements java.io.Serializable {

    public static final ImageView ORIGINAL = new ImageView(0, 0, 0, false);

    /** View {@code view} of image {@code id}: shifts uniform in {@code [-maxShift, maxShift]}, a flip with probability 1/2. */
    public static ImageView of(long seed, String id, int view, int maxShift, boolean flips) {
        if (view == 0) {
            return ORIGINAL;
        }
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + (long) id.hashCode() * 31 + view);
        int dx = maxShift == 0 ? 0 : random.nextInt(-maxShift, maxShift + 1);
        int dy = maxShift == 0 ? 0 : random.nextInt(-maxShift, maxShift + 1);
        boolean flip = flips && random.nextBoolean();
        return new ImageView(view, dx, dy, flip);
    }

    /** This view of {@code pixels} (uint8 CHW of shape {@code spec}), as a new array. */
    public byte[] apply(byte[] pixels, InputSpec spec) {
        if (dx == 0 && dy == 0 && !flip) {
            return pixels.clone();
        }
        int h = spec.height();
        int w = spec.width();
        byte[] out = new byte[pixels.length];
        for (int c = 0; c < spec.channels(); c++) {
            int plane = c * h * w;
            for (int y = 0; y < h; y++) {
                int sy = y - dy;
                if (sy < 0 || sy >= h) {
                    continue;
                }
                for (int x = 0; x < w; x++) {
                    int sx = x - dx;
                    if (sx < 0 || sx >= w) {
                        continue;
                    }
                    out[plane + y * w + x] = pixels[plane + sy * w + (flip ? w - 1 - sx : sx)];
                }
            }
        }
        return out;
    }
}
