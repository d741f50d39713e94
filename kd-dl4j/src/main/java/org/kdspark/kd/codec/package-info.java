/**
 * The project's single encoding of float tensors into bytes: {@link org.kdspark.kd.codec.TensorEncoding} packs values
 * (float32, float16); {@link org.kdspark.kd.codec.ColumnEncoding} chooses per store column how a tensor is reduced
 * first (top-k logits, spatial pooling, attention maps).
 */
package org.kdspark.kd.codec;
