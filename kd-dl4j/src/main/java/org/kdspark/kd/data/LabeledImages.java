package org.kdspark.kd.data;

import java.util.Objects;

/**
 * A block of same-sized images with integer class labels, held as raw unsigned bytes.
 *
 * <p>Pixels are stored image after image in CHW order (channel, row, column), one byte per value, so a
 * block of 60,000 Fashion-MNIST images is 47 MB rather than 188 MB as floats. Use {@link InputSpec} to turn
 * them into normalised network input.
 */
public record LabeledImages(int count, InputSpec spec, byte[] pixels, int[] labels) {

    public LabeledImages {
        Objects.requireNonNull(spec, "spec");
        if (pixels.length != (long) count * spec.valuesPerImage()) {
            throw new IllegalArgumentException("pixels has " + pixels.length + " bytes, expected " + count + " images x "
                    + spec.valuesPerImage() + " values");
        }
        if (labels.length != count) {
            throw new IllegalArgumentException("labels has " + labels.length + " entries, expected " + count);
        }
    }

    /** The raw bytes of image {@code i}, a copy. */
    public byte[] image(int i) {
        int n = spec.valuesPerImage();
        byte[] out = new byte[n];
        System.arraycopy(pixels, i * n, out, 0, n);
        return out;
    }

    /** The same images, as a network normalising them as {@code other} takes them. */
    public LabeledImages normalizedAs(InputSpec other) {
        if (!other.sameImages(spec)) {
            throw new IllegalArgumentException("images of " + spec.geometry() + " are not images of " + other.geometry());
        }
        return other.equals(spec) ? this : new LabeledImages(count, other, pixels, labels);
    }

    /** The first {@code n} images (or all of them when {@code n <= 0} or larger than the count). */
    public LabeledImages head(int n) {
        if (n <= 0 || n >= count) {
            return this;
        }
        byte[] p = new byte[n * spec.valuesPerImage()];
        System.arraycopy(pixels, 0, p, 0, p.length);
        int[] l = new int[n];
        System.arraycopy(labels, 0, l, 0, n);
        return new LabeledImages(n, spec, p, l);
    }
}
