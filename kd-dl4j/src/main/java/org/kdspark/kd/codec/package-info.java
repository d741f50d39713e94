/** The project's single encoding of float tensors into bytes. */
package org.kdspark.kd.codec;
