// Reads a run's soft-label store with DuckDB, a Parquet reader independent of Spark and parquet-mr, and checks
// it against the run's report: every row readable, one row per id, full logits (or whole top-k cells), the teacher's
// test accuracy recomputed from the stored logits. Usage: node check-store.mjs RUN_DIR (with @duckdb/node-api installed).
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
const batches = manifest.versions[manifest.current].batches;
const newest = JSON.parse(readFileSync(`${run}/soft-labels/${manifest.current}/${batches[batches.length - 1].name}/_provenance.json`, 'utf8'));
const logits = newest.details.logits ?? { column: 'logits', encoding: 'array<float>' };
// a topk:K[:float16] store (soft_labels.logits_encoding): read from the cell layout of docs/store.md, not from the project's
// decoder: K+1 values (float32, or float16), then K class indices, uint16 little-endian (int32 above 65,536 classes),
// largest first, so the arg-max is the first index
const topk = /^topk:(\d+)(?::(float16|float32))?$/.exec(logits.encoding);
if (logits.encoding !== 'array<float>' && !topk) {
  console.error(`duckdb: this store keeps its logits as ${logits.encoding} in column ${logits.column}; this check reads `
    + 'array<float> and topk:K[:float16] logits');
  process.exit(1);
}
const files = batches.map((b) => `'${run}/soft-labels/${manifest.current}/${b.name}/*.parquet'`);
const store = `read_parquet([${files.join(', ')}])`;
const db = await (await DuckDBInstance.create(':memory:')).connect();
const one = async (sql) => (await db.runAndReadAll(sql)).getRowObjectsJson()[0];

let width = 'len(logits)';
let argmax = 'list_position(logits, list_max(logits)) - 1';
let expectedWidth = null;
if (topk) {
  const k = Number(topk[1]);
  const classes = Number(logits.shape[0]);
  const valueBytes = topk[2] === 'float16' ? 2 : 4;
  const indexBytes = classes <= 65536 ? 2 : 4;
  const at = (k + 1) * valueBytes; // first index byte
  const hexByte = (i) => `substr(hex("${logits.column}"), ${2 * (at + i) + 1}, 2)`;
  const digits = Array.from({ length: indexBytes }, (_, i) => hexByte(indexBytes - 1 - i)).join(' || ');
  width = `octet_length("${logits.column}")`;
  argmax = `('0x' || ${digits})::BIGINT`;
  expectedWidth = at + k * indexBytes;
}
const rows = await one(`SELECT count(*) AS n, count(DISTINCT id) AS ids, min(${width}) AS kmin,
  max(${width}) AS kmax FROM ${store}`);
const acc = await one(`SELECT avg(CASE WHEN ${argmax} = label THEN 1.0 ELSE 0.0 END)
  AS acc FROM ${store} WHERE split = 'test'`);
const meta = await one(`SELECT count(*) AS files FROM parquet_kv_metadata([${files.join(', ')}])
  WHERE decode(key) = 'kd.provenance'`);
const expected = report.dataset.train + report.dataset.test;
console.log(`duckdb: ${rows.n} rows, ${rows.ids} ids, logits (${logits.encoding}) width ${rows.kmin}..${rows.kmax}`
  + `${topk ? ' bytes' : ''}, teacher test accuracy from stored logits ${acc.acc} (report: ${report.teacher.accuracy}), `
  + `${meta.files} files with kd.provenance`);
const failures = [];
if (Number(rows.n) !== expected) failures.push(`rows ${rows.n} != train+test images ${expected}`);
if (rows.ids !== rows.n) failures.push(`ids are not unique: ${rows.ids} of ${rows.n}`);
if (rows.kmin !== rows.kmax || Number(rows.kmin) < 2) failures.push(`logits widths ${rows.kmin}..${rows.kmax}`);
if (expectedWidth !== null && Number(rows.kmin) !== expectedWidth) {
  failures.push(`${logits.encoding} cells of ${rows.kmin} bytes, expected ${expectedWidth} for ${logits.shape[0]} classes`);
}
if (Math.abs(acc.acc - report.teacher.accuracy) > 0.002) failures.push(`teacher accuracy ${acc.acc} vs ${report.teacher.accuracy}`);
if (Number(meta.files) < 1) failures.push('no Parquet footer carries kd.provenance');
if (failures.length) {
  console.error(`duckdb: the store disagrees with the report: ${failures.join('; ')}`);
  process.exit(1);
}
