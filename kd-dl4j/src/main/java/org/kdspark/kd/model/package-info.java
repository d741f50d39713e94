/** Model files: DL4J zips with provenance. */
package org.kdspark.kd.model;
