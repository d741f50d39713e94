/**
 * Image sets generated here, for demos and tests on machines with no photo set installed: {@link
 * org.kdspark.jobs.generate.GenerateImagesJob} turns Fashion-MNIST into photo-like RGB JPEG folders and WebDataset shards.
 */
package org.kdspark.jobs.generate;
