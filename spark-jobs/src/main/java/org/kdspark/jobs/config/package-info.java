/** Typed, validated job configuration read from YAML files under {@code conf/}. */
package org.kdspark.jobs.config;
