"""A 16-bit CT DICOM written from a pixel array, for tests and benchmarks that need a real file
(pydicom writes it; every viewer reads it). One place, so the header they share is set once."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_ct(path: Path, pixels: np.ndarray, *, window: tuple[float, float] | None = None) -> Path:
    """``pixels``: (rows, columns) or (frames, rows, columns) stored values (HU + 1024); ``window``:
    the file's own (centre, width), if it is to carry one."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
    ds.Modality = "CT"
    ds.Rows, ds.Columns = pixels.shape[-2:]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = window
    if pixels.ndim == 3:
        ds.NumberOfFrames = pixels.shape[0]
    ds.PixelData = pixels.astype(np.uint16).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(str(path), enforce_file_format=True)
    return path
