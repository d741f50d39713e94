package org.kdspark.jobs.config;

/** {@code dataset.interpolation}: the resampling filter, as Pillow (and so torchvision on PIL images) applies it. */
public enum Interpolation implements ConfigChoice {
    BILINEAR, BICUBIC, NEAREST;

    @Override
    public String toString() {
        return configName();
    }
}
