package org.kdspark.kd.train;

/**
 * Switches on DL4J's native layer helpers (oneDNN convolution, batch norm, pooling on CPU).
 *
 * <p>DL4J 1.0.0-M2.1 creates no layer helper unless the system property {@value #PROPERTY} is {@code false} (its
 * default is {@code true}), and on CPU it only uses them when the nd4j-native build has oneDNN (classifiers
 * {@code linux-x86_64-onednn}, {@code linux-x86_64-onednn-avx512}, ...) and the shim
 * {@link org.nd4j.nativeblas.Nd4jCpu} is on the classpath. With both, CNN training ran 5-7x faster here.
 *
 * <p>The property is read whenever a layer is instantiated, so call {@link #enable()} before building networks,
 * in every JVM that builds them (Spark executors included), or pass {@code -D}{@value #PROPERTY}{@code =false}.
 */
public final class NativeHelpers {

    /** DL4J's switch; {@code true} (the default) disables every helper. */
    public static final String PROPERTY = "org.eclipse.deeplearning4j.helpers.disable";

    private NativeHelpers() {
    }

    /** Lets networks created from now on in this JVM use native helpers. An explicit {@code -D} setting wins. */
    public static void enable() {
        if (System.getProperty(PROPERTY) == null) {
            System.setProperty(PROPERTY, "false");
        }
    }

    /** Whether networks created now would get helpers. */
    public static boolean enabled() {
        return !Boolean.parseBoolean(System.getProperty(PROPERTY, "true"));
    }
}
