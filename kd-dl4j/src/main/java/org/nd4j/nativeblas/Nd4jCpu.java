package org.nd4j.nativeblas;

/**
 * Compatibility shim, not ND4J code: makes DL4J 1.0.0-M2.1's oneDNN layer helpers usable.
 *
 * <p>DL4J M2.1's {@code BaseMKLDNNHelper.mklDnnEnabled()} looks up {@code org.nd4j.nativeblas.Nd4jCpu$Environment}
 * and calls {@code isUseMKLDNN()}: names from before ND4J moved its bindings to
 * {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu} and renamed the flag {@code isUseONEDNN()}. The lookup
 * fails, so DL4J never uses oneDNN for convolution, batch norm and pooling, even with an {@code -onednn}
 * nd4j-native build, and falls back to its Java im2col path (measured 2.2-2.5x slower for training our teacher).
 * This class answers that lookup with the real flag. It is only consulted on the CPU backend and only when
 * helpers are enabled (see {@link org.kdspark.kd.model.NativeHelpers}); it does nothing otherwise.
 */
public final class Nd4jCpu {

    private Nd4jCpu() {
    }

    /** Mirrors the one method DL4J M2.1 calls on the old environment class. */
    public static final class Environment {

        private static final Environment INSTANCE = new Environment();

        private Environment() {
        }

        public static Environment getInstance() {
            return INSTANCE;
        }

        /** Whether the loaded libnd4j was built with oneDNN and has it switched on. */
        public boolean isUseMKLDNN() {
            try {
                if (!NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo().contains("HAVE_ONEDNN")) {
                    return false; // the flag reads true on builds without oneDNN too
                }
                Class<?> env = Class.forName("org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment");
                Object instance = env.getMethod("getInstance").invoke(null);
                return (Boolean) env.getMethod("isUseONEDNN").invoke(instance);
            } catch (ReflectiveOperationException | LinkageError e) {
                return false;
            }
        }
    }
}
