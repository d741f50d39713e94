/** Distillation losses as DL4J {@code ILossFunction}s, each with its formula and paper. */
package org.kdspark.kd.loss;
