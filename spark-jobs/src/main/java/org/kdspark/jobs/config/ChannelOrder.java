package org.kdspark.jobs.config;

import org.kdspark.kd.data.Normalization;

/** {@code preprocess.channel_order}: the order of a network's input channels; the image table stores RGB. */
public enum ChannelOrder implements ConfigChoice {
    RGB, BGR;

    Normalization.ChannelOrder toData() {
        return Normalization.ChannelOrder.valueOf(name());
    }

    @Override
    public String toString() {
        return configName();
    }
}
