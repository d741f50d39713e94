// Reads a run's soft-label store with DuckDB, a Parquet reader independent of Spark and parquet-mr, and checks
// it against the run's report: every row readable, one row per id, full logits, the teacher's test accuracy
// recomputed from the stored logits. Usage: node check-store.mjs RUN_DIR (with @duckdb/node-api installed).
// Like any reader it goes through the store's manifest, _store.json: the current version's committed batches.
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';

const run = process.argv[2];
const report = JSON.parse(readFileSync(`${run}/report.json`, 'utf8'));
const manifest = JSON.parse(readFileSync(`${run}/soft-labels/_store.json`, 'utf8'));
if (manifest.kind !== 'soft-label-store' || manifest.schema_version !== 2) {
  console.error(`duckdb: ${run}/soft-labels/_store.json is ${manifest.kind} v${manifest.schema_version}, expected soft-label-store v2`);
  process.exit(1);
}
const files = manifest.versions[manifest.current].batches.map((b) => `'${run}/soft-labels/${manifest.current}/${b.name}/*.parquet'`);
const store = `read_parquet([${files.join(', ')}])`;
const db = await (await DuckDBInstance.create(':memory:')).connect();
const one = async (sql) => (await db.runAndReadAll(sql)).getRowObjectsJson()[0];

const rows = await one(`SELECT count(*) AS n, count(DISTINCT id) AS ids, min(len(logits)) AS kmin,
  max(len(logits)) AS kmax FROM ${store}`);
const acc = await one(`SELECT avg(CASE WHEN list_position(logits, list_max(logits)) - 1 = label THEN 1.0 ELSE 0.0 END)
  AS acc FROM ${store} WHERE split = 'test'`);
const meta = await one(`SELECT count(*) AS files FROM parquet_kv_metadata([${files.join(', ')}])
  WHERE decode(key) = 'kd.provenance'`);
const expected = report.dataset.train + report.dataset.test;
console.log(`duckdb: ${rows.n} rows, ${rows.ids} ids, logits width ${rows.kmin}..${rows.kmax}, `
  + `teacher test accuracy from stored logits ${acc.acc} (report: ${report.teacher.accuracy}), `
  + `${meta.files} files with kd.provenance`);
const failures = [];
if (Number(rows.n) !== expected) failures.push(`rows ${rows.n} != train+test images ${expected}`);
if (rows.ids !== rows.n) failures.push(`ids are not unique: ${rows.ids} of ${rows.n}`);
if (rows.kmin !== rows.kmax || Number(rows.kmin) < 2) failures.push(`logits widths ${rows.kmin}..${rows.kmax}`);
if (Math.abs(acc.acc - report.teacher.accuracy) > 0.002) failures.push(`teacher accuracy ${acc.acc} vs ${report.teacher.accuracy}`);
if (Number(meta.files) < 1) failures.push('no Parquet footer carries kd.provenance');
if (failures.length) {
  console.error(`duckdb: the store disagrees with the report: ${failures.join('; ')}`);
  process.exit(1);
}
