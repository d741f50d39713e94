package org.kdspark.kd.provenance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The project's one hashing helper, SHA-256 throughout: the full hex digest identifies a file (a teacher, a model, an
 * ONNX export), and its first {@value #SHORT} hex digits name things that only need to differ (a config, a signal
 * spec, a listing of input files).
 */
public final class Hashes {

    /** Hex digits of the short form. */
    public static final int SHORT = 16;

    private static final ObjectMapper CANONICAL = Provenance.json().copy()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private Hashes() {
    }

    /** The SHA-256 of {@code bytes}, 64 hex digits. */
    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    /** The SHA-256 of everything {@code in} yields (it is read to the end, not closed), 64 hex digits. */
    public static String sha256(InputStream in) throws IOException {
        MessageDigest digest = digest();
        byte[] buffer = new byte[1 << 16];
        for (int n; (n = in.read(buffer)) > 0; ) {
            digest.update(buffer, 0, n);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** The short hash of {@code text} (UTF-8). */
    public static String ofText(String text) {
        return sha256(text.getBytes(StandardCharsets.UTF_8)).substring(0, SHORT);
    }

    /**
     * The short hash of {@code value} as canonical JSON: map entries sorted by key, so that maps with an unspecified
     * order ({@code Map.of}, randomised per JVM) hash the same in every process.
     */
    public static String ofValue(Object value) {
        try {
            return sha256(CANONICAL.writeValueAsBytes(value)).substring(0, SHORT);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot hash " + value, e);
        }
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}
