/** The configuration's models: the teacher and the student built from the model zoo with the config's settings. */
package org.kdspark.jobs.models;
