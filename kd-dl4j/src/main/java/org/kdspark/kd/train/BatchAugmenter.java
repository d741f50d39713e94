package org.kdspark.kd.train;

import java.util.SplittableRandom;
import org.kdspark.kd.data.InputSpec;

/**
 * Changes a minibatch's raw CHW uint8 pixels in place before they become network input (data augmentation).
 * Must be deterministic given the random source, so runs are reproducible.
 */
@FunctionalInterface
public interface BatchAugmenter {

    void augment(byte[] pixels, int count, InputSpec spec, SplittableRandom random);

    /** No augmentation. */
    BatchAugmenter NONE = (pixels, count, spec, random) -> { };

    /**
     * Random translation by up to {@code maxShift} pixels in each direction (vacated pixels become 0) and, if
     * {@code flip}, a horizontal flip with probability 1/2.
     */
    static BatchAugmenter shiftAndFlip(int maxShift, boolean flip) {
        return (pixels, count, spec, random) -> {
            int c = spec.channels();
            int h = spec.height();
            int w = spec.width();
            int n = spec.valuesPerImage();
            byte[] tmp = new byte[n];
            for (int i = 0; i < count; i++) {
                int dy = maxShift == 0 ? 0 : random.nextInt(2 * maxShift + 1) - maxShift;
                int dx = maxShift == 0 ? 0 : random.nextInt(2 * maxShift + 1) - maxShift;
                boolean mirror = flip && random.nextBoolean();
                if (dx == 0 && dy == 0 && !mirror) {
                    continue;
                }
                int off = i * n;
                java.util.Arrays.fill(tmp, (byte) 0);
                for (int ch = 0; ch < c; ch++) {
                    int base = off + ch * h * w;
                    for (int y = 0; y < h; y++) {
                        int sy = y - dy;
                        if (sy < 0 || sy >= h) {
                            continue;
                        }
                        for (int x = 0; x < w; x++) {
                            int sx0 = x - dx;
                            if (sx0 < 0 || sx0 >= w) {
                                continue;
                            }
                            int sx = mirror ? w - 1 - sx0 : sx0;
                            tmp[ch * h * w + y * w + x] = pixels[base + sy * w + sx];
                        }
                    }
                }
                System.arraycopy(tmp, 0, pixels, off, n);
            }
        };
    }
}
