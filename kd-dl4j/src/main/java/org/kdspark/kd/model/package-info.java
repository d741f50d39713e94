/** Model files: DL4J zips with provenance, teachers from DL4J and Keras files, and the native layer helpers. */
package org.kdspark.kd.model;
