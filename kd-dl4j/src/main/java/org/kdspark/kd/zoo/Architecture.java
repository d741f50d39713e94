package org.kdspark.kd.zoo;

import java.util.List;

/**
 * One network family of the zoo, found by {@link #name()} in {@link ModelZoo}.
 *
 * <p>An architecture only builds the body: the vertices from {@value ModelZoo#INPUT} to a feature vertex.
 * {@link ModelZoo} adds {@value ModelZoo#LOGITS} and {@value ModelZoo#OUTPUT} on top, sets the updater, seed,
 * weight init and regularisation from the {@linkplain ModelParams#COMMON common parameters}, and works out the
 * shapes of the taps, so every architecture keeps the zoo's conventions by construction.
 */
public interface Architecture {

    /** The registry name, e.g. {@code cnn}. */
    String name();

    /** One line for listings and {@code --help}. */
    String description();

    /** The architecture's own parameters (the common ones are added by {@link ModelParams}). */
    List<ParamSpec> params();

    /**
     * Adds the body, reading {@link GraphBlocks#input()}, and registers its taps with {@link GraphBlocks#tap}.
     *
     * @return the name of the vertex the {@value ModelZoo#LOGITS} layer reads (a vector or a feature map,
     *         which DL4J flattens)
     */
    String addBody(GraphBlocks blocks, ModelParams params);
}
