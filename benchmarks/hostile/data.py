"""Data makers for the case groups: generated medical-style records with spans (``make_record``,
``corpus``), JSONL writing, small PNG images and a DICOM file without pixel data.
"""

from __future__ import annotations

import json
import random
from pathlib import Path


# ============================================================== data makers

ORGANS = ["胸部", "左肺上叶", "右肺下叶", "心脏", "肝脏", "腹部", "头部", "胃", "肾脏", "支气管"]
SYMPTOMS = ["咳嗽", "发热", "胸痛", "头痛", "呼吸困难", "乏力", "恶心", "呕吐", "腹痛", "咳痰"]
DISEASES = ["肺炎", "肺结核", "冠心病", "高血压", "糖尿病", "胃炎", "肺癌", "支气管炎"]
TREATMENTS = ["抗感染治疗", "手术", "化疗", "吸氧", "静脉滴注头孢", "放疗"]
ATTRS = ["三天", "两周", "轻度", "重度", "反复"]


def make_record(rng: random.Random, name: str, status: str = "new", images: list[str] = ()) -> dict:
    parts: list[tuple[str, str | None]] = []
    for _ in range(rng.randint(1, 3)):
        parts += [("患者", None), (rng.choice(ATTRS), "Attribute"), (rng.choice(SYMPTOMS), "Symptom"), ("，", None),
                  (rng.choice(ORGANS), "Organ"), ("CT示", None), (rng.choice(DISEASES), "Disease"), ("，给予", None),
                  (rng.choice(TREATMENTS), "Treatment"), ("。", None)]
    text, spans = "", []
    for piece, label in parts:
        if label:
            spans.append({"start": len(text), "end": len(text) + len(piece), "label": label})
        text += piece
    return {"name": name, "text": text, "status": status, "images": list(images), "spans": spans}


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def corpus(path: Path, n: int, seed: int, status: str = "new", images: list[str] = (), spans: bool = True) -> Path:
    """n generated records; every 500th gets one of ``images``; ``spans=False``: texts only."""
    rng = random.Random(seed)
    recs = [make_record(rng, f"r{seed}-{i}", status, [images[i % len(images)]] if images and i % 500 == 0 else [])
            for i in range(n)]
    return write_jsonl(path, [r if spans else {**r, "spans": []} for r in recs])


def png(path: Path, seed: int = 0) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    Image.new("RGB", (48, 48), (rng.randrange(256), rng.randrange(256), rng.randrange(256))).save(path)
    return path


def dicom_without_pixels(path: Path) -> Path:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.PatientName, ds.Modality, ds.Rows, ds.Columns = "Test^Patient", "CR", 64, 64
    ds.save_as(path, enforce_file_format=True)
    return path
