package org.kdspark.kd.data;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The input a network expects: channels, height and width (NCHW), with 8-bit pixels scaled to [0, 1].
 *
 * <p>Declared once (in the model's config) and recorded in provenance, so that the teacher that labelled an
 * image and the student that learns from it see the same tensor.
 */
public record InputSpec(int channels, int height, int width) implements java.io.Serializable {

    public InputSpec {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 (grayscale) or 3 (RGB), got " + channels);
        }
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("height and width must be positive, got " + height + "x" + width);
        }
    }

    /** Fashion-MNIST: 1 x 28 x 28 grayscale. */
    public static final InputSpec FASHION_MNIST = new InputSpec(1, 28, 28);

    public int valuesPerImage() {
        return channels * height * width;
    }

    public long[] shape(int batch) {
        return new long[] {batch, channels, height, width};
    }

    /**
     * Normalises {@code count} CHW uint8 images, starting at image {@code first} of {@code pixels}, into a
     * float NCHW array with values in [0, 1].
     */
    public INDArray toInput(byte[] pixels, int first, int count) {
        return Nd4j.create(toFloats(pixels, first, count), shape(count), 'c').castTo(DataType.FLOAT);
    }

    /**
     * The same normalisation as {@link #toInput}, as a plain NCHW float array: the input of runtimes that do not
     * take ND4J arrays (ONNX Runtime).
     */
    public float[] toFloats(byte[] pixels, int first, int count) {
        int n = valuesPerImage();
        float[] values = new float[count * n];
        int offset = first * n;
        for (int i = 0; i < values.length; i++) {
            values[i] = (pixels[offset + i] & 0xFF) / 255f;
        }
        return values;
    }

    /**
     * The spec written by {@link #toString()} ({@code CHANNELSxHEIGHTxWIDTH}, e.g. {@code 1x28x28}), as provenance
     * records it.
     *
     * @throws IllegalArgumentException naming the text when it is not of that form or not a valid spec
     */
    public static InputSpec parse(String text) {
        String[] parts = text.trim().split("x", -1);
        if (parts.length == 3) {
            try {
                return new InputSpec(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new IllegalArgumentException("input spec '" + text + "' is not CHANNELSxHEIGHTxWIDTH (e.g. 1x28x28)");
    }

    @Override
    public String toString() {
        return channels + "x" + height + "x" + width;
    }
}
