/** Progress lines for the person running a job, in one form and one place. */
package org.kdspark.kd.progress;
