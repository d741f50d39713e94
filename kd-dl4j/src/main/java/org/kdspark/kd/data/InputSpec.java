package org.kdspark.kd.data;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The input a network expects: channels, height and width (NCHW), and how its values are made from the 8-bit RGB (or
 * grey) pixels of the image table ({@link Normalization}; by default scaled to [0, 1]).
 *
 * <p>Declared once and recorded in provenance, so that the teacher that labelled an image and the student that learns
 * from it see the tensors they were built for. Every network input in the project is made by {@link #toInput} or
 * {@link #toFloats}: the DL4J and ONNX Runtime teachers, the students' training and evaluation, and the verification of
 * ONNX exports. Two specs with the same {@link #geometry()} take the same pixels, however they normalise them.
 */
public record InputSpec(int channels, int height, int width, Normalization normalization) implements java.io.Serializable {

    public InputSpec {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 (grayscale) or 3 (RGB), got " + channels);
        }
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("height and width must be positive, got " + height + "x" + width);
        }
        if (normalization == null) {
            normalization = Normalization.UNIT;
        }
        normalization.requireChannels(channels, "input " + channels + "x" + height + "x" + width);
    }

    /** Pixels scaled to [0, 1]. */
    public InputSpec(int channels, int height, int width) {
        this(channels, height, width, Normalization.UNIT);
    }

    /** Fashion-MNIST: 1 x 28 x 28 grayscale. */
    public static final InputSpec FASHION_MNIST = new InputSpec(1, 28, 28);

    /** The same pixels, normalised as {@code n}. */
    public InputSpec withNormalization(Normalization n) {
        return new InputSpec(channels, height, width, n);
    }

    /** The pixels this spec takes, scaled to [0, 1]: what two networks must agree on to label the same table. */
    public InputSpec geometry() {
        return normalization.isUnit() ? this : new InputSpec(channels, height, width);
    }

    /** Whether {@code other} takes the same pixels (channels and size), however it normalises them. */
    public boolean sameImages(InputSpec other) {
        return channels == other.channels && height == other.height && width == other.width;
    }

    public int valuesPerImage() {
        return channels * height * width;
    }

    public long[] shape(int batch) {
        return new long[] {batch, channels, height, width};
    }

    /**
     * Normalises {@code count} CHW uint8 images, starting at image {@code first} of {@code pixels}, into a float NCHW
     * array.
     */
    public INDArray toInput(byte[] pixels, int first, int count) {
        return Nd4j.create(toFloats(pixels, first, count), shape(count), 'c').castTo(DataType.FLOAT);
    }

    /**
     * The same normalisation as {@link #toInput}, as a plain NCHW float array: the input of runtimes that do not
     * take ND4J arrays (ONNX Runtime).
     */
    public float[] toFloats(byte[] pixels, int first, int count) {
        int plane = height * width;
        int n = valuesPerImage();
        float[] values = new float[count * n];
        float[][] lookup = new float[channels][];
        int[] source = new int[channels];
        boolean bgr = normalization.order() == Normalization.ChannelOrder.BGR;
        for (int c = 0; c < channels; c++) {
            lookup[c] = normalization.lookup(c);
            source[c] = bgr ? channels - 1 - c : c;
        }
        for (int i = 0; i < count; i++) {
            int in = (first + i) * n;
            int out = i * n;
            for (int c = 0; c < channels; c++) {
                float[] l = lookup[c];
                int from = in + source[c] * plane;
                int to = out + c * plane;
                for (int p = 0; p < plane; p++) {
                    values[to + p] = l[pixels[from + p] & 0xFF];
                }
            }
        }
        return values;
    }

    /**
     * The spec written by {@link #toString()}, as provenance records it: {@code CHANNELSxHEIGHTxWIDTH} (e.g.
     * {@code 1x28x28}), then the normalisation's parts when it is not the default, each after a {@code ;}
     * ({@code 3x224x224;mean=0.485,0.456,0.406;std=0.229,0.224,0.225}).
     *
     * @throws IllegalArgumentException naming the text when it is not of that form or not a valid spec
     */
    public static InputSpec parse(String text) {
        String[] sections = text.trim().split(";", -1);
        String[] parts = sections[0].split("x", -1);
        int[] size = new int[3];
        boolean ok = parts.length == 3;
        for (int i = 0; ok && i < 3; i++) {
            try {
                size[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                ok = false;
            }
        }
        if (!ok) {
            throw new IllegalArgumentException("input spec '" + text + "' is not CHANNELSxHEIGHTxWIDTH (e.g. 1x28x28), optionally"
                    + " followed by ;bgr ;scale=S ;mean=A,B,C ;std=A,B,C");
        }
        Normalization n;
        try {
            n = Normalization.parseParts(Arrays.asList(sections).subList(1, sections.length));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("input spec '" + text + "': " + e.getMessage(), e);
        }
        return new InputSpec(size[0], size[1], size[2], n);
    }

    /** {@code CxHxW}, then the normalisation when it is not the default (see {@link #parse}). */
    @Override
    public String toString() {
        return channels + "x" + height + "x" + width + normalization.suffix();
    }
}
