package org.kdspark.kd.method;

import java.util.List;
import java.util.function.Function;

/**
 * A registered method: name, one-line summary, paper, documented keys, and the factory that configures it.
 *
 * @param name     the name used in config and on the command line, e.g. {@code kd}
 * @param summary  one line for {@code bin/kd methods}
 * @param paper    short citation
 * @param params   accepted keys with defaults; any other key is an error
 * @param factory  builds the configured method from a validated term config
 * @param shorthand the objective terms {@code distill.method: NAME} stands for; a shorthand without the hard-label term
 *                  {@code ce} says the method carries its own (as {@code kd} does through its alpha), and methods joined
 *                  by '+' then get no {@code ce} term
 */
public record MethodSpec(String name, String summary, String paper, List<Param> params,
                         Function<TermConfig, DistillationMethod> factory, Shorthand.Expansion shorthand) {

    public MethodSpec {
        if (!name.matches("[a-z]+")) {
            throw new IllegalArgumentException("a method name is lower-case letters, got '" + name + "'");
        }
        params = List.copyOf(params);
    }

    /** Configures the method from a raw config value (a number = weight, a map of keys, or null = defaults). */
    public DistillationMethod configure(Object rawConfig) {
        TermConfig config = TermConfig.of(this, rawConfig);
        DistillationMethod method = factory.apply(config);
        config.requireAllRead();
        return method;
    }
}
