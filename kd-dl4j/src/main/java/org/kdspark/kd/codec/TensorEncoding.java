package org.kdspark.kd.codec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Locale;

/**
 * How a float tensor is packed into a Parquet {@code BINARY} cell: little-endian IEEE float32 or float16.
 *
 * <p>This is the one codec for tensors in the project: the soft-label writer, the distillation reader and
 * any foreign reader (numpy's {@code frombuffer(b, '<f2')}) agree on it. float16 halves feature maps at a
 * relative error below 1e-3, which is far below what distillation can notice.
 */
public enum TensorEncoding {
    FLOAT32(4),
    FLOAT16(2);

    private final int bytesPerValue;

    TensorEncoding(int bytesPerValue) {
        this.bytesPerValue = bytesPerValue;
    }

    public int bytesPerValue() {
        return bytesPerValue;
    }

    /** The config name: {@code float32} or {@code float16}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static TensorEncoding fromConfig(String name) {
        for (TensorEncoding e : values()) {
            if (e.configName().equals(name)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown tensor encoding '" + name + "'; allowed: "
                + Arrays.stream(values()).map(TensorEncoding::configName).toList());
    }

    public byte[] encode(float[] values) {
        return encode(values, 0, values.length);
    }

    /** Encodes {@code length} values of {@code values} starting at {@code offset}. */
    public byte[] encode(float[] values, int offset, int length) {
        ByteBuffer out = ByteBuffer.allocate(length * bytesPerValue).order(ByteOrder.LITTLE_ENDIAN);
        if (this == FLOAT32) {
            for (int i = 0; i < length; i++) {
                out.putFloat(values[offset + i]);
            }
        } else {
            for (int i = 0; i < length; i++) {
                out.putShort(toHalf(values[offset + i]));
            }
        }
        return out.array();
    }

    public float[] decode(byte[] bytes) {
        float[] out = new float[bytes.length / bytesPerValue];
        decodeInto(bytes, out, 0);
        return out;
    }

    /** Decodes {@code bytes} into {@code target} starting at {@code offset}; returns the number of values. */
    public int decodeInto(byte[] bytes, float[] target, int offset) {
        if (bytes.length % bytesPerValue != 0) {
            throw new IllegalArgumentException(bytes.length + " bytes is not a whole number of " + configName() + " values");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int n = bytes.length / bytesPerValue;
        if (this == FLOAT32) {
            for (int i = 0; i < n; i++) {
                target[offset + i] = in.getFloat();
            }
        } else {
            for (int i = 0; i < n; i++) {
                target[offset + i] = fromHalf(in.getShort());
            }
        }
        return n;
    }

    /** IEEE 754 binary16 from float, round to nearest even (Java 17 has no Float.floatToFloat16). */
    static short toHalf(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xFF;
        int mantissa = bits & 0x7FFFFF;
        if (exp == 0xFF) {
            return (short) (sign | 0x7C00 | (mantissa != 0 ? 0x200 | (mantissa >>> 13) : 0));
        }
        int halfExp = exp - 127 + 15;
        if (halfExp >= 0x1F) {
            return (short) (sign | 0x7C00);
        }
        if (halfExp <= 0) {
            if (halfExp < -10) {
                return (short) sign;
            }
            int m = mantissa | 0x800000;
            int shift = 14 - halfExp;
            int half = m >>> shift;
            int rest = m & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rest > halfway || (rest == halfway && (half & 1) != 0)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (halfExp << 10) | (mantissa >>> 13);
        int rest = mantissa & 0x1FFF;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
            half++; // may carry into the exponent, which is the correct rounding up to the next binade or infinity
        }
        return (short) (sign | half);
    }

    static float fromHalf(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exp == 0) {
            float magnitude = mantissa * 0x1p-24f;
            return sign != 0 ? -magnitude : magnitude;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mantissa << 13));
    }
}
