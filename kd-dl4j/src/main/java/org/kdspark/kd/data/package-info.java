/** Image data as the library sees it: raw labelled uint8 images, their input spec, and the IDX reader. */
package org.kdspark.kd.data;
