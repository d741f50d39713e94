package org.kdspark.jobs.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A configuration key: its default and what it means, beside its declaration. {@link ConfigLoader} fills a key left
 * out of a YAML file with {@link #defaultValue()}, and {@link ConfigDescription} documents every key from these
 * annotations, so the defaults and their documentation live in one place.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Key {

    /** The default as YAML: {@code 6}, {@code cnn}, {@code [block2]}, {@code {}}; {@code ~} means unset. */
    String defaultValue();

    /** What the key means, one or more sentences, for {@code kd config --describe} and docs/configuration.md. */
    String doc();
}
