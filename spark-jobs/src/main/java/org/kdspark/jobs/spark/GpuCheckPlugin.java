package org.kdspark.jobs.spark;

import java.util.List;
import java.util.Map;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;
import org.apache.spark.resource.ResourceInformation;
import org.kdspark.kd.gpu.GpuCheck;

/**
 * Runs {@link GpuCheck} in every executor of a {@code -Pcuda} job as the executor starts, on the GPUs Spark assigned
 * to it ({@code spark.executor.resource.gpu.*}), so that an unsupported GPU (Hopper and newer) stops the executor
 * with a message that says what to use instead, before any task loads ND4J. {@link Sessions} adds it to
 * {@code spark.plugins} when the CUDA backend is on the classpath; the driver is checked before its session starts.
 */
public final class GpuCheckPlugin implements SparkPlugin {

    @Override
    public DriverPlugin driverPlugin() {
        return null;
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return new ExecutorPlugin() {
            @Override
            public void init(PluginContext ctx, Map<String, String> extraConf) {
                ResourceInformation gpu = ctx.resources().get("gpu");
                GpuCheck.require("executor " + ctx.executorID() + " on " + ctx.hostname(),
                        gpu == null ? List.of() : List.of(gpu.addresses()));
            }
        };
    }
}
