"""Read a kd-spark run directory from Python with pandas, numpy and matplotlib only.

The notebooks in this folder share this module so that each of them reads a run the same way:

* the soft-label store and the image table are read from Parquet when pyarrow is importable, else from
  the notebook export ``RUN/export/`` (``bin/kd export --output RUN``), which needs nothing but numpy;
* every artifact's provenance is checked (``kind`` and ``schema_version``) before its data is used;
* figures are saved as PNG into ``$KD_FIGURES`` when that is set (``run-all.sh`` sets it, so CI can check).

Set ``KD_FORCE_EXPORT=1`` to read the export even where pyarrow is installed.
"""

import importlib.util
import json
import os
import sys
from pathlib import Path

import matplotlib

if "ipykernel" not in sys.modules:  # a plain script or a headless run outside Jupyter: never open a window
    matplotlib.use("Agg")

import numpy as np
import pandas as pd

DEFAULT_RUN = "../out/fashion-mnist"

# what this module understands; a newer writer must bump these and the notebooks must follow
SCHEMA_VERSIONS = {"soft-label-store": 2, "image-table": 1, "notebook-export": 1}


class RunError(RuntimeError):
    """A run directory that lacks something, with what to do about it."""


def run_dir(path=None):
    """The run directory: ``path``, else ``$KD_RUN``, else ``../out/fashion-mnist``; it must exist."""
    chosen = Path(path or os.environ.get("KD_RUN") or DEFAULT_RUN).expanduser()
    if chosen.as_posix().startswith("file:"):
        chosen = Path(chosen.as_posix()[len("file:"):])
    if not chosen.is_dir():
        raise RunError(f"no run directory at {chosen.resolve()}: run the pipeline first, e.g. "
                       f"bin/kd pipeline --config conf/fashion-mnist-quick.yaml --output {chosen}, or set KD_RUN")
    return chosen.resolve()


def has_pyarrow():
    return importlib.util.find_spec("pyarrow") is not None and os.environ.get("KD_FORCE_EXPORT") != "1"


def read_provenance(path, kind):
    """The JSON provenance at ``path`` after checking its kind and schema version."""
    path = Path(path)
    if not path.is_file():
        raise RunError(f"missing {path}: the job that writes it did not finish; run it again")
    p = json.loads(path.read_text())
    if p.get("kind") != kind:
        raise RunError(f"{path} describes a '{p.get('kind')}', expected '{kind}': check the run directory")
    if p.get("schema_version") != SCHEMA_VERSIONS[kind]:
        raise RunError(f"{path} has {kind} schema version {p.get('schema_version')}, these notebooks read "
                       f"{SCHEMA_VERSIONS[kind]}: update the notebooks or regenerate the run with a matching build")
    return p


def _export(run):
    manifest = Path(run) / "export" / "export.json"
    if not manifest.is_file():
        raise RunError(f"pyarrow is not installed and {manifest} is missing: write the export with "
                       f"'bin/kd export --output {run}' (or install pyarrow to read the Parquet directly)")
    return read_provenance(manifest, "notebook-export")


def source():
    """Where the tables come from: 'parquet' or 'export'."""
    return "parquet" if has_pyarrow() else "export"


def store_batches(run):
    """The committed batch directories of the soft-label store's current version, oldest first (from _store.json:
    a batch a killed job left half-written is not listed)."""
    root = Path(run) / "soft-labels"
    manifest = root / "_store.json"
    if not manifest.is_file():
        raise RunError(f"missing {manifest}: run 'bin/kd soft-labels --output {run}' (or the whole pipeline)")
    m = json.loads(manifest.read_text())
    if m.get("kind") != "soft-label-store" or m.get("schema_version") != SCHEMA_VERSIONS["soft-label-store"]:
        raise RunError(f"{manifest} is a {m.get('kind')} of schema version {m.get('schema_version')}, these notebooks read "
                       f"{SCHEMA_VERSIONS['soft-label-store']}: update the notebooks or regenerate the run with a matching build")
    version = m["current"]
    return [root / version / b["name"] for b in m["versions"][version]["batches"]]


def classes(run):
    """Class names, index = label."""
    newest = store_batches(run)[-1]
    return list(read_provenance(newest / "_provenance.json", "soft-label-store")["details"]["classes"])


def report(run):
    path = Path(run) / "report.json"
    if not path.is_file():
        raise RunError(f"missing {path}: run 'bin/kd evaluate --output {run}' (or the whole pipeline)")
    return json.loads(path.read_text())


def histories(run):
    """Every student's per-epoch history as one frame with a ``student`` column."""
    frames = []
    for path in sorted((Path(run) / "students").glob("*/history.json")):
        h = pd.DataFrame(json.loads(path.read_text()))
        h.insert(0, "student", path.parent.name)
        frames.append(h)
    if not frames:
        raise RunError(f"no students/*/history.json under {run}: run 'bin/kd distill --output {run}'")
    return pd.concat(frames, ignore_index=True)


def soft_labels(run):
    """Frame with id, split, label, logit_0 .. logit_K-1: the teacher's raw logits for every image."""
    run = Path(run)
    if has_pyarrow() and _dense_logits(run):
        # an image whose file changed was labelled again in a later batch: keep its newest row
        t = pd.concat([pd.read_parquet(b, columns=["id", "split", "label", "logits"]) for b in store_batches(run)], ignore_index=True)
        t = t.drop_duplicates("id", keep="last")
        logits = np.stack(t["logits"].to_numpy()).astype(np.float32)
        out = t[["id", "split", "label"]].reset_index(drop=True)
        out = pd.concat([out, pd.DataFrame(logits, columns=[f"logit_{k}" for k in range(logits.shape[1])])], axis=1)
        return out.sort_values(["split", "id"], ignore_index=True)
    _export(run)
    return pd.read_csv(run / "export" / "soft_labels.csv", dtype={"id": str, "split": str, "label": np.int64})


def _dense_logits(run):
    """Whether the store keeps array<float> logits; a top-k store (soft_labels.logits_encoding topk:K) is read through
    the export, which the Java decoder writes dense."""
    newest = store_batches(run)[-1]
    logits = read_provenance(newest / "_provenance.json", "soft-label-store")["details"].get("logits", {})
    if logits.get("encoding", "array<float>") == "array<float>":
        return True
    if not (Path(run) / "export" / "export.json").is_file():
        raise RunError(f"the soft-label store of {run} keeps its logits as {logits.get('encoding')}: write the dense export with "
                       f"'bin/kd export --output {run}' and run this again")
    return False


def logits_of(frame):
    """The logit columns of a soft-label frame as an (N, K) array."""
    cols = [c for c in frame.columns if c.startswith("logit_")]
    return frame[sorted(cols, key=lambda c: int(c.split("_")[1]))].to_numpy(np.float64)


def softmax(logits, temperature=1.0):
    z = np.asarray(logits, np.float64) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def entropy(p):
    """Shannon entropy in nats along the last axis."""
    p = np.asarray(p, np.float64)
    return -(p * np.log(np.clip(p, 1e-12, 1.0))).sum(axis=-1)


def images(run, ids):
    """{id: uint8 array (C, H, W)} for those of ``ids`` that are available.

    With pyarrow every image of the run is; from the export only its thumbnails are (the teacher's most
    confident disagreements with the label and a few images per class, see RUN/export/export.json).
    """
    run, wanted = Path(run), set(ids)
    found = {}
    if has_pyarrow():
        read_provenance(run / "images" / "_provenance.json", "image-table")
        t = pd.read_parquet(run / "images", columns=["id", "channels", "height", "width", "pixels"])
        for row in t[t["id"].isin(wanted)].itertuples(index=False):
            found[row.id] = np.frombuffer(row.pixels, np.uint8).reshape(row.channels, row.height, row.width)
        return found
    for split in ("train", "test"):
        index, pixels = thumbnail_index(run, split), None
        for entry in index.itertuples(index=False):
            if entry.id in wanted:
                if pixels is None:
                    pixels = np.fromfile(run / "export" / f"thumbnails_{split}.bin", np.uint8)
                c, h, w = entry.shape
                found[entry.id] = pixels[entry.offset:entry.offset + c * h * w].reshape(c, h, w)
    return found


def thumbnail_index(run, split):
    """The export's thumbnail index of ``split`` (id, label, teacher_prediction, teacher_confidence, selected, offset, shape)."""
    _export(run)
    return pd.DataFrame(json.loads((Path(run) / "export" / f"thumbnails_{split}.json").read_text()),
                        columns=["id", "label", "teacher_prediction", "teacher_confidence", "selected", "offset", "shape"])


def show_image(ax, chw, title=None):
    """Draws a (C, H, W) uint8 image on ``ax`` (grey for one channel)."""
    if chw is None:
        ax.text(0.5, 0.5, "no thumbnail", ha="center", va="center", fontsize=8)
    elif chw.shape[0] == 1:
        ax.imshow(chw[0], cmap="gray", vmin=0, vmax=255)
    else:
        ax.imshow(np.transpose(chw, (1, 2, 0)))
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=8)


def save_figure(fig, name):
    """Saves ``fig`` as ``$KD_FIGURES/NAME.png`` when KD_FIGURES is set; returns the path or None."""
    target = os.environ.get("KD_FIGURES")
    if not target:
        return None
    path = Path(target) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80, bbox_inches="tight")
    return path
