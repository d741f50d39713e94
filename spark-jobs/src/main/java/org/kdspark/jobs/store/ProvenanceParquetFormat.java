package org.kdspark.jobs.store;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.mapreduce.Job;
import org.apache.parquet.hadoop.ParquetOutputFormat;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.OutputWriterFactory;
import org.apache.spark.sql.execution.datasources.parquet.ParquetFileFormat;
import org.apache.spark.sql.types.StructType;
import scala.Option;

/**
 * Spark's Parquet writer plus custom key-value metadata in every file footer.
 *
 * <p>Spark offers no way to add footer metadata, yet provenance belongs in the files themselves so that a
 * copied file still says where it came from. This format takes the write option {@link #METADATA_OPTION}
 * (a JSON object of string values) and makes the write support add its entries to each footer. Everything
 * else, including the commit protocol, is Spark's own. Readers use the plain {@code parquet} source.
 */
public class ProvenanceParquetFormat extends ParquetFileFormat {

    /** Write option: a JSON object whose entries become footer key-value metadata. */
    public static final String METADATA_OPTION = "kd.footer.metadata";

    @Override
    public OutputWriterFactory prepareWrite(SparkSession spark, Job job, scala.collection.immutable.Map<String, String> options,
            StructType dataSchema) {
        OutputWriterFactory factory = super.prepareWrite(spark, job, options, dataSchema);
        Configuration conf = job.getConfiguration();
        conf.setClass(ParquetOutputFormat.WRITE_SUPPORT_CLASS, FooterMetadataWriteSupport.class, WriteSupport.class);
        Option<String> metadata = options.get(METADATA_OPTION);
        if (metadata.isDefined()) {
            conf.set(METADATA_OPTION, metadata.get());
        }
        return factory;
    }

    @Override
    public String toString() {
        return "ProvenanceParquet";
    }
}
