package org.kdspark.jobs.config;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.kdspark.kd.provenance.Provenance;

/** A short, stable hash of selected config sections: equal hashes mean an artifact can be reused. */
public final class ConfigHash {

    private static final com.fasterxml.jackson.databind.ObjectMapper CANONICAL = Provenance.json().copy()
            .configure(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private ConfigHash() {
    }

    /** SHA-256 (first 16 hex digits) of the named top-level sections of the effective config. */
    public static String of(KdConfig config, String... sections) {
        Map<String, Object> all = ConfigLoader.toMap(config);
        Map<String, Object> relevant = new LinkedHashMap<>();
        for (String s : sections) {
            relevant.put(s, all.get(s));
        }
        return ofValue(relevant);
    }

    /**
     * SHA-256 (first 16 hex digits) of {@code value} as canonical JSON: map entries sorted by key, so that maps with
     * an unspecified order ({@code Map.of}, randomised per JVM) hash the same in every process.
     */
    public static String ofValue(Object value) {
        try {
            return digest(CANONICAL.writeValueAsBytes(value));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SHA-256 (first 16 hex digits) of {@code text}, e.g. a listing of input files. */
    public static String ofText(String text) {
        return digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static String digest(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
