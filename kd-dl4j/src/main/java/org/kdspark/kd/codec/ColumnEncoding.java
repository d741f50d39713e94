package org.kdspark.kd.codec;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Locale;
import org.kdspark.kd.loss.AttentionTransferLoss;

/**
 * How one teacher tensor per row (logits or a feature map) is stored in a Parquet {@code BINARY} cell, chosen per
 * column. Values are packed with {@link TensorEncoding} (little-endian float32 or float16), the project's one value
 * codec; some encodings first reduce the tensor:
 *
 * <table>
 * <caption>Encodings (config spelling, source tensor, decoded tensor)</caption>
 * <tr><th>config</th><th>source</th><th>decoded</th><th>cell</th></tr>
 * <tr><td>{@code float32}, {@code float16}</td><td>any</td><td>the same shape</td><td>the values</td></tr>
 * <tr><td>{@code topk:K[:float16]}</td><td>logits {@code [C]}</td><td>{@code [C]}</td>
 *     <td>the K largest logits (float32 unless {@code :float16}), then {@code tail = log sum exp} of the other
 *     C-K logits in the same precision, then the K class indices as uint16 (int32 when C &gt; 65536), all
 *     little-endian, largest first (ties: lower index first)</td></tr>
 * <tr><td>{@code avgpool:HxW[:float32]}</td><td>feature map {@code [C, H0, W0]}</td><td>{@code [C, H, W]}</td>
 *     <td>adaptive average pooling (bin {@code i} spans rows {@code floor(i*H0/H) .. ceil((i+1)*H0/H)-1}, as
 *     PyTorch's {@code AdaptiveAvgPool2d}), float16 unless {@code :float32}</td></tr>
 * <tr><td>{@code attention[:float32]}</td><td>feature map {@code [C, H, W]}</td><td>{@code [H, W]}</td>
 *     <td>the attention map of attention transfer, {@code sum_c A_c^2} per position, L2-normalised over the
 *     positions (what {@link AttentionTransferLoss} compares; the norm it drops is never used), float16 unless
 *     {@code :float32}: normalised values lie in [0, 1], so float16 cannot overflow</td></tr>
 * </table>
 *
 * <p>Decoding {@code topk} gives back dense logits: the K stored logits at their classes and, at every other class,
 * {@code tail - log(C - K)}. At temperature 1 this keeps the teacher's softmax probabilities of the K classes
 * exactly and spreads the remaining probability mass evenly over the others; at T &gt; 1 the decoded tail holds at
 * least the teacher's tail mass (Jensen), equal when the tail logits are equal: the usual top-K soft-label
 * trade-off, as in FKD/ReLabel. A store's provenance records, per
 * column, the encoding, the source shape and the decoded shape; readers decode with the decoded shape alone.
 */
public sealed interface ColumnEncoding extends Serializable {

    /** The config spelling, e.g. {@code float16}, {@code topk:5}, {@code avgpool:2x2}, {@code attention}. */
    String configName();

    /** Shape of the decoded tensor for a source tensor of shape {@code source}; fails if this encoding does not fit it. */
    int[] decodedShape(int[] source);

    /** Encodes the source tensor {@code values[offset .. offset + size(source))}. */
    byte[] encode(float[] values, int offset, int[] source);

    /** Decodes one cell into {@code target} at {@code offset}; returns the number of values written, {@code size(decoded)}. */
    int decodeInto(byte[] cell, int[] decoded, float[] target, int offset);

    default float[] decode(byte[] cell, int[] decoded) {
        float[] out = new float[size(decoded)];
        decodeInto(cell, decoded, out, 0);
        return out;
    }

    /** The allowed config spellings, for error messages. */
    String ALLOWED = "float32, float16, topk:K or topk:K:float16 (logits), avgpool:HxW or avgpool:HxW:float32 (feature maps), "
            + "attention or attention:float32 (feature maps)";

    /** The spellings a feature map (not logits) may be stored in. */
    String FEATURE_ALLOWED = "float32, float16, avgpool:HxW[:float32], attention[:float32]";

    /** Parses the encoding of a feature-map column as {@link #parse} does, refusing {@code topk}, which is for logits. */
    static ColumnEncoding parseFeature(String spec) {
        ColumnEncoding e = parse(spec);
        if (e instanceof TopK) {
            throw new IllegalArgumentException("'" + spec + "' is an encoding for logits; a feature map takes " + FEATURE_ALLOWED);
        }
        return e;
    }

    /** Parses a config spelling; an unknown one fails naming the allowed forms. */
    static ColumnEncoding parse(String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
        String[] parts = s.split(":", -1);
        try {
            switch (parts[0]) {
                case "float32", "float16" -> {
                    if (parts.length == 1) {
                        return new Dense(TensorEncoding.fromConfig(parts[0]));
                    }
                }
                case "topk" -> {
                    if (parts.length == 2 || parts.length == 3) {
                        return new TopK(Integer.parseInt(parts[1]), parts.length == 3 ? TensorEncoding.fromConfig(parts[2]) : TensorEncoding.FLOAT32);
                    }
                }
                case "avgpool" -> {
                    if (parts.length == 2 || parts.length == 3) {
                        String[] hw = parts[1].split("x", -1);
                        if (hw.length == 2) {
                            return new SpatialPool(Integer.parseInt(hw[0]), Integer.parseInt(hw[1]),
                                    parts.length == 3 ? TensorEncoding.fromConfig(parts[2]) : TensorEncoding.FLOAT16);
                        }
                    }
                }
                case "attention" -> {
                    if (parts.length <= 2) {
                        return new AttentionMap(parts.length == 2 ? TensorEncoding.fromConfig(parts[1]) : TensorEncoding.FLOAT16);
                    }
                }
                default -> {
                }
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad tensor encoding '" + spec + "': " + e.getMessage() + "; allowed: " + ALLOWED, e);
        }
        throw new IllegalArgumentException("unknown tensor encoding '" + spec + "'; allowed: " + ALLOWED);
    }

    static int size(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** The values as they are, in float32 or float16. */
    record Dense(TensorEncoding precision) implements ColumnEncoding {

        @Override
        public String configName() {
            return precision.configName();
        }

        @Override
        public int[] decodedShape(int[] source) {
            return source.clone();
        }

        @Override
        public byte[] encode(float[] values, int offset, int[] source) {
            return precision.encode(values, offset, size(source));
        }

        @Override
        public int decodeInto(byte[] cell, int[] decoded, float[] target, int offset) {
            int n = cell.length / precision.bytesPerValue();
            if (cell.length % precision.bytesPerValue() != 0 || n != size(decoded)) {
                throw new IllegalArgumentException("a " + configName() + " cell of " + cell.length + " bytes holds " + n
                        + " values, not the " + size(decoded) + " of shape " + Arrays.toString(decoded));
            }
            return precision.decodeInto(cell, target, offset);
        }
    }

    /** The K largest logits, their classes, and the log-sum-exp of the rest. */
    record TopK(int k, TensorEncoding precision) implements ColumnEncoding {

        public TopK {
            if (k < 1) {
                throw new IllegalArgumentException("topk needs K >= 1, not " + k);
            }
        }

        @Override
        public String configName() {
            return "topk:" + k + (precision == TensorEncoding.FLOAT32 ? "" : ":" + precision.configName());
        }

        @Override
        public int[] decodedShape(int[] source) {
            if (source.length != 1 || source[0] < k) {
                throw new IllegalArgumentException(configName() + " needs logits [C] with C >= " + k + ", not " + Arrays.toString(source));
            }
            return source.clone();
        }

        private static int indexBytes(int classes) {
            return classes <= 65536 ? 2 : 4;
        }

        @Override
        public byte[] encode(float[] values, int offset, int[] source) {
            int c = decodedShape(source)[0];
            Integer[] order = new Integer[c];
            for (int i = 0; i < c; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> {
                int byValue = Float.compare(values[offset + b], values[offset + a]);
                return byValue != 0 ? byValue : Integer.compare(a, b);
            });
            float[] top = new float[k + 1];
            for (int j = 0; j < k; j++) {
                top[j] = values[offset + order[j]];
            }
            top[k] = k == c ? Float.NEGATIVE_INFINITY : (float) logSumExp(values, offset, order, k, c);
            byte[] packed = precision.encode(top);
            int ib = indexBytes(c);
            ByteBuffer out = ByteBuffer.allocate(packed.length + k * ib).order(ByteOrder.LITTLE_ENDIAN);
            out.put(packed);
            for (int j = 0; j < k; j++) {
                if (ib == 2) {
                    out.putShort((short) (int) order[j]);
                } else {
                    out.putInt(order[j]);
                }
            }
            return out.array();
        }

        private static double logSumExp(float[] values, int offset, Integer[] order, int from, int to) {
            double max = values[offset + order[from]];
            double sum = 0;
            for (int j = from; j < to; j++) {
                sum += Math.exp(values[offset + order[j]] - max);
            }
            return max + Math.log(sum);
        }

        @Override
        public int decodeInto(byte[] cell, int[] decoded, float[] target, int offset) {
            int c = decodedShape(decoded)[0];
            int ib = indexBytes(c);
            int valueBytes = (k + 1) * precision.bytesPerValue();
            if (cell.length != valueBytes + k * ib) {
                throw new IllegalArgumentException("a " + configName() + " cell for " + c + " classes has " + (valueBytes + k * ib)
                        + " bytes, not " + cell.length);
            }
            float[] top = precision.decode(Arrays.copyOf(cell, valueBytes));
            float fill = k == c ? 0f : (float) (top[k] - Math.log(c - k));
            Arrays.fill(target, offset, offset + c, fill);
            ByteBuffer in = ByteBuffer.wrap(cell, valueBytes, k * ib).order(ByteOrder.LITTLE_ENDIAN);
            for (int j = 0; j < k; j++) {
                int index = ib == 2 ? Short.toUnsignedInt(in.getShort()) : in.getInt();
                if (index >= c) {
                    throw new IllegalArgumentException(configName() + " cell names class " + index + " of " + c);
                }
                target[offset + index] = top[j];
            }
            return c;
        }
    }

    /** Adaptive average pooling of a feature map to H x W. */
    record SpatialPool(int height, int width, TensorEncoding precision) implements ColumnEncoding {

        public SpatialPool {
            if (height < 1 || width < 1) {
                throw new IllegalArgumentException("avgpool needs a size of at least 1x1, not " + height + "x" + width);
            }
        }

        @Override
        public String configName() {
            return "avgpool:" + height + "x" + width + (precision == TensorEncoding.FLOAT16 ? "" : ":" + precision.configName());
        }

        @Override
        public int[] decodedShape(int[] source) {
            if (source.length != 3 || source[1] < height || source[2] < width) {
                throw new IllegalArgumentException(configName() + " needs a feature map [C, H, W] of at least " + height + "x" + width
                        + ", not " + Arrays.toString(source));
            }
            return new int[] {source[0], height, width};
        }

        @Override
        public byte[] encode(float[] values, int offset, int[] source) {
            decodedShape(source);
            return precision.encode(pool(values, offset, source[0], source[1], source[2], height, width));
        }

        /** Adaptive average pooling, channel-major in and out; in double so that the sum order does not matter. */
        public static float[] pool(float[] values, int offset, int channels, int h0, int w0, int h, int w) {
            float[] out = new float[channels * h * w];
            for (int c = 0; c < channels; c++) {
                for (int i = 0; i < h; i++) {
                    int r0 = Math.floorDiv(i * h0, h);
                    int r1 = -Math.floorDiv(-(i + 1) * h0, h);
                    for (int j = 0; j < w; j++) {
                        int c0 = Math.floorDiv(j * w0, w);
                        int c1 = -Math.floorDiv(-(j + 1) * w0, w);
                        double sum = 0;
                        for (int r = r0; r < r1; r++) {
                            for (int q = c0; q < c1; q++) {
                                sum += values[offset + (c * h0 + r) * w0 + q];
                            }
                        }
                        out[(c * h + i) * w + j] = (float) (sum / ((r1 - r0) * (c1 - c0)));
                    }
                }
            }
            return out;
        }

        @Override
        public int decodeInto(byte[] cell, int[] decoded, float[] target, int offset) {
            return new Dense(precision).decodeInto(cell, decoded, target, offset);
        }
    }

    /** The L2-normalised attention map {@code sum_c A_c^2} of a feature map. */
    record AttentionMap(TensorEncoding precision) implements ColumnEncoding {

        @Override
        public String configName() {
            return "attention" + (precision == TensorEncoding.FLOAT16 ? "" : ":" + precision.configName());
        }

        @Override
        public int[] decodedShape(int[] source) {
            if (source.length != 3) {
                throw new IllegalArgumentException(configName() + " needs a feature map [C, H, W], not " + Arrays.toString(source));
            }
            return new int[] {source[1], source[2]};
        }

        @Override
        public byte[] encode(float[] values, int offset, int[] source) {
            int positions = size(decodedShape(source));
            double[] a = AttentionTransferLoss.normalizedAttentionMap(values, offset, size(source), positions);
            float[] out = new float[positions];
            for (int p = 0; p < positions; p++) {
                out[p] = (float) a[p];
            }
            return precision.encode(out);
        }

        @Override
        public int decodeInto(byte[] cell, int[] decoded, float[] target, int offset) {
            return new Dense(precision).decodeInto(cell, decoded, target, offset);
        }
    }
}
