package org.kdspark.kd.codec;

import java.io.Serializable;
import java.util.Locale;

/**
 * How a soft-label store keeps the teacher's logits: every logit as float32 in an {@code array<float>} column, which
 * every Parquet reader understands, or the K largest in a binary {@link ColumnEncoding.TopK} cell, for teachers with
 * hundreds or thousands of classes. Dense float16 logits are not offered: at 10 classes they would save 18 bytes a row,
 * and many-class teachers are better served by top-k.
 */
public sealed interface LogitsEncoding extends Serializable {

    /** The spellings {@link #parse} accepts. */
    String ALLOWED = "float32 (array<float>, the default), topk:K, topk:K:float16 (K >= 1 and at most the classes)";

    /** Every logit, float32, in an {@code array<float>} column. */
    LogitsEncoding DENSE = new Dense();

    /** The config spelling, e.g. {@code float32} or {@code topk:5}. */
    String configName();

    /** Every logit, float32, in an {@code array<float>} column. */
    record Dense() implements LogitsEncoding {
        @Override
        public String configName() {
            return "float32";
        }

        @Override
        public String toString() {
            return configName();
        }
    }

    /** The K largest logits and the log-sum-exp of the others, in a binary cell ({@link ColumnEncoding.TopK}). */
    record TopK(ColumnEncoding.TopK cell) implements LogitsEncoding {
        @Override
        public String configName() {
            return cell.configName();
        }

        @Override
        public String toString() {
            return configName();
        }
    }

    /** Parses a config spelling; anything else fails with the allowed ones. */
    static LogitsEncoding parse(String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("float32")) {
            return DENSE;
        }
        ColumnEncoding e;
        try {
            e = ColumnEncoding.parse(s);
        } catch (IllegalArgumentException x) {
            // the codec's own reason (e.g. "topk needs K >= 1, not 0"), without its list of every column's encodings
            String reason = x.getCause() instanceof IllegalArgumentException c && c.getMessage() != null ? " (" + c.getMessage() + ")" : "";
            throw new IllegalArgumentException("'" + spec + "' is not a logits encoding" + reason + "; allowed: " + ALLOWED, x);
        }
        if (e instanceof ColumnEncoding.TopK t) {
            return new TopK(t);
        }
        throw new IllegalArgumentException("'" + spec + "' is not a logits encoding; allowed: " + ALLOWED);
    }
}
