/** Evaluation of a network on labelled images, and metrics from logits: accuracy, NLL, calibration, agreement with the teacher. */
package org.kdspark.kd.eval;
