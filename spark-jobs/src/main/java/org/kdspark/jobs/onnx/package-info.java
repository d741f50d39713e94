/** A run's DL4J models written as ONNX files, each verified against DL4J on the run's test images. */
package org.kdspark.jobs.onnx;
