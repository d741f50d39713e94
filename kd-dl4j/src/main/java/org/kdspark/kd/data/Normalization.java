package org.kdspark.kd.data;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How a network's input values are made from 8-bit pixels: {@code (pixel / scale - mean[c]) / std[c]} for each input
 * channel {@code c}, the channels in {@link ChannelOrder} order. The default, {@link #UNIT}, scales to [0, 1] with no
 * mean or std, in RGB order; a torchvision or timm network takes {@code scale 255, mean [0.485, 0.456, 0.406], std
 * [0.229, 0.224, 0.225]}; a Caffe-style one {@code scale 1}, BGR, with its means in BGR order.
 *
 * @param order the order of the input channels (pixels are stored RGB)
 * @param scale what a pixel is divided by first: 255 for [0, 1], 1 for [0, 255]
 * @param mean  per input channel, subtracted after scaling; empty for none
 * @param std   per input channel, divided by last; empty for none
 */
public record Normalization(ChannelOrder order, double scale, List<Double> mean, List<Double> std) implements Serializable {

    /** Pixels scaled to [0, 1], RGB: the input every network of the model zoo takes unless told otherwise. */
    public static final Normalization UNIT = new Normalization(ChannelOrder.RGB, 255, List.of(), List.of());

    /** The mean and std torchvision's and timm's ImageNet models are trained with. */
    public static final Normalization IMAGENET = new Normalization(ChannelOrder.RGB, 255, List.of(0.485, 0.456, 0.406),
            List.of(0.229, 0.224, 0.225));

    /** The order of a network's input channels. */
    public enum ChannelOrder {
        RGB, BGR;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public Normalization {
        if (order == null) {
            throw new IllegalArgumentException("channel order must be rgb or bgr");
        }
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("scale must be a positive number (255: pixels in [0, 1]), got " + scale);
        }
        mean = List.copyOf(mean);
        std = List.copyOf(std);
        for (Double s : std) {
            if (s == null || !(s > 0) || s.isInfinite()) {
                throw new IllegalArgumentException("std must be positive numbers, got " + std);
            }
        }
        for (Double m : mean) {
            if (m == null || !Double.isFinite(m)) {
                throw new IllegalArgumentException("mean must be finite numbers, got " + mean);
            }
        }
    }

    /** Whether this is {@link #UNIT}: what files and stores written without a normalisation declare. */
    public boolean isUnit() {
        return equals(UNIT);
    }

    /**
     * Refuses a mean or std whose length is not {@code channels} (an empty one means none), naming {@code what}.
     */
    public void requireChannels(int channels, String what) {
        if (!mean.isEmpty() && mean.size() != channels) {
            throw new IllegalArgumentException(what + ": mean has " + mean.size() + " values but the images have " + channels
                    + " channel(s): give one per channel, or none");
        }
        if (!std.isEmpty() && std.size() != channels) {
            throw new IllegalArgumentException(what + ": std has " + std.size() + " values but the images have " + channels
                    + " channel(s): give one per channel, or none");
        }
    }

    /**
     * The input value of each 8-bit pixel value of input channel {@code c}, computed in float as torchvision computes it
     * ({@code ToTensor} then {@code Normalize}): {@code (p / scale - mean) / std}.
     */
    float[] lookup(int c) {
        float s = (float) scale;
        float m = mean.isEmpty() ? 0f : mean.get(c).floatValue();
        float d = std.isEmpty() ? 1f : std.get(c).floatValue();
        float[] out = new float[256];
        for (int p = 0; p < 256; p++) {
            out[p] = (p / s - m) / d;
        }
        return out;
    }

    /**
     * The text {@link InputSpec#toString()} appends to its size, empty for {@link #UNIT}: {@code ;bgr}, {@code ;scale=1},
     * {@code ;mean=A,B,C}, {@code ;std=A,B,C}, each only when it differs from the default.
     */
    String suffix() {
        StringBuilder sb = new StringBuilder();
        if (order != ChannelOrder.RGB) {
            sb.append(';').append(order.id());
        }
        if (scale != 255) {
            sb.append(";scale=").append(number(scale));
        }
        if (!mean.isEmpty()) {
            sb.append(";mean=").append(String.join(",", mean.stream().map(Normalization::number).toList()));
        }
        if (!std.isEmpty()) {
            sb.append(";std=").append(String.join(",", std.stream().map(Normalization::number).toList()));
        }
        return sb.toString();
    }

    /** The inverse of {@link #suffix()}: its parts, without the leading {@code ;}s. */
    static Normalization parseParts(List<String> parts) {
        ChannelOrder order = ChannelOrder.RGB;
        double scale = 255;
        List<Double> mean = List.of();
        List<Double> std = List.of();
        for (String part : parts) {
            String p = part.trim();
            if (p.equals("rgb") || p.equals("bgr")) {
                order = ChannelOrder.valueOf(p.toUpperCase(Locale.ROOT));
            } else if (p.startsWith("scale=")) {
                scale = numbers(p.substring(6)).get(0);
            } else if (p.startsWith("mean=")) {
                mean = numbers(p.substring(5));
            } else if (p.startsWith("std=")) {
                std = numbers(p.substring(4));
            } else {
                throw new IllegalArgumentException("unknown part '" + p + "' (expected bgr, scale=S, mean=A,B,C or std=A,B,C)");
            }
        }
        return new Normalization(order, scale, mean, std);
    }

    private static List<Double> numbers(String csv) {
        List<Double> out = new ArrayList<>();
        for (String s : csv.split(",", -1)) {
            try {
                out.add(Double.parseDouble(s.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + csv + "' is not a list of numbers", e);
            }
        }
        return out;
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    @Override
    public String toString() {
        String s = suffix();
        return s.isEmpty() ? "[0, 1] rgb" : s.substring(1);
    }
}
