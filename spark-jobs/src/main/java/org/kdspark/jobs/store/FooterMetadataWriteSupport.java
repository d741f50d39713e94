package org.kdspark.jobs.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.execution.datasources.parquet.ParquetWriteSupport;
import org.kdspark.kd.provenance.Provenance;

/** Spark's Parquet write support, adding the entries of {@link ProvenanceParquetFormat#METADATA_OPTION} to the footer. */
public class FooterMetadataWriteSupport extends ParquetWriteSupport {

    @Override
    public WriteContext init(Configuration configuration) {
        WriteContext context = super.init(configuration);
        String json = configuration.get(ProvenanceParquetFormat.METADATA_OPTION);
        if (json == null) {
            return context;
        }
        Map<String, String> extra = new LinkedHashMap<>(context.getExtraMetaData());
        try {
            extra.putAll(Provenance.json().readValue(json, new TypeReference<Map<String, String>>() { }));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(ProvenanceParquetFormat.METADATA_OPTION + " is not a JSON object of strings", e);
        }
        return new WriteContext(context.getSchema(), extra);
    }
}
