/** Provenance records carried by every artifact, and the build information they cite. */
package org.kdspark.kd.provenance;
