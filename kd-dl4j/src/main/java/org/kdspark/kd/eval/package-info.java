/** Evaluation metrics from logits: accuracy, NLL, calibration, agreement with the teacher. */
package org.kdspark.kd.eval;
