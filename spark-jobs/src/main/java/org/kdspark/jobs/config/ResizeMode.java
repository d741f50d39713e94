package org.kdspark.jobs.config;

/** {@code dataset.resize}: how an image file's picture is brought to the image table's height and width. */
public enum ResizeMode implements ConfigChoice {
    /** Scaled to the size exactly, the aspect ratio not kept. */
    EXACT,
    /** Scaled so that the shorter side is {@code resize_shorter} (torchvision's {@code Resize(N)}), then the centre cut out. */
    CENTER_CROP,
    /** Scaled to fit inside the size, the aspect ratio kept, the borders filled with black. */
    PAD;

    @Override
    public String toString() {
        return configName();
    }
}
