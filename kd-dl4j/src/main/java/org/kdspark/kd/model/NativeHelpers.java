package org.kdspark.kd.model;

/**
 * Switches on DL4J's native layer helpers (oneDNN convolution, batch norm, pooling on CPU).
 *
 * <p>DL4J 1.0.0-M2.1 creates no layer helper unless the system property {@value #PROPERTY} is {@code false} (its
 * default is {@code true}), and on CPU it only uses them when the nd4j-native build has oneDNN (classifiers
 * {@code linux-x86_64-onednn}, {@code linux-x86_64-onednn-avx512}, ...) and the shim
 * {@link org.nd4j.nativeblas.Nd4jCpu} is on the classpath. With both, training the {@code cnn} teacher ran
 * 2.2-2.5x more examples per CPU-second than DL4J's own convolution path (docs/performance.md).
 *
 * <p>The property is read whenever a layer is instantiated, so call {@link #enable()} before building networks,
 * in every JVM that builds them (Spark executors included), or pass {@code -D}{@value #PROPERTY}{@code =false}.
 */
public final class NativeHelpers {

    /** DL4J's switch; {@code true} (the default) disables every helper. */
    public static final String PROPERTY = "org.eclipse.deeplearning4j.helpers.disable";

    private NativeHelpers() {
    }

    /**
     * Lets networks created from now on in this JVM use native helpers if the loaded libnd4j has oneDNN. An
     * explicit {@code -D} setting wins. Without oneDNN nothing changes: on the plain {@code linux-x86_64} build the
     * helpers fall back to libnd4j's generic conv2d, which measured ~25% slower than DL4J's own path.
     *
     * @return whether helpers are now enabled
     */
    public static boolean enable() {
        if (System.getProperty(PROPERTY) == null && backendHasOneDnn()) {
            System.setProperty(PROPERTY, "false");
        }
        return enabled();
    }

    /** Whether the loaded ND4J native library was built with oneDNN (an {@code -onednn} classifier). */
    public static boolean backendHasOneDnn() {
        try {
            return org.nd4j.nativeblas.NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo().contains("HAVE_ONEDNN");
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** Whether networks created now would get helpers. */
    public static boolean enabled() {
        return !Boolean.parseBoolean(System.getProperty(PROPERTY, "true"));
    }
}
