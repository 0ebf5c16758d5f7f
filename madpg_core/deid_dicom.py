"""De-identify DICOM headers on import: a DICOM file in → its de-identified copy written, counts kept.

The DICOM PS3.15 Basic Application Level Confidentiality Profile is applied by ``dicognito``
(MIT, pure Python, needs only pydicom, never touches the network). Compared with the others:

- ``deid`` (pydicom-deid, MIT) applies recipes; its default header recipe is not the Basic Profile
  (it *removes* every UID, so the series of one study no longer belong together, and it keeps
  InstitutionName), and it pulls in matplotlib for its pixel-cleaning part.
- pydicom itself has no profile table, only the means (``walk``, ``remove_private_tags``,
  ``generate_uid``): we would maintain the several hundred rows of PS3.15 Table E.1-1 ourselves.

dicognito replaces (rather than empties) names, IDs, UIDs, addresses and institution, shifts dates
and times by one offset per import (so intervals between studies stay true), replaces each UID the
same way wherever it occurs in one import (a study's files still share their new StudyInstanceUID),
and sets PatientIdentityRemoved / DeidentificationMethod. Two things of the Basic Profile it leaves
are done here: private elements are removed (the profile's default, action X), and so are the
free-text and patient-description elements listed in ``EXTRA_REMOVED`` (action X in Table E.1-1).

Pixel data is never changed: burned-in text cannot be cleaned from the header, so a file whose
header says ``BurnedInAnnotation == "YES"`` is only named in a warning.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Literal

from madpg_core.errors import MadpgError

DicomIdentity = Literal["strip", "keep"]
DICOM_IDENTITY: tuple[str, ...] = ("strip", "keep")
PRIVATE = "(private elements)"  # the report's name for private tags, which have no keyword

# Basic Profile action X (remove) elements that dicognito leaves as they are: free text that can
# name the patient or the hospital, and descriptions of the patient.
EXTRA_REMOVED: tuple[str, ...] = (
    "AdditionalPatientHistory", "AdmittingDiagnosesDescription", "Allergies", "AcquisitionComments",
    "DerivationDescription", "DeviceSerialNumber", "EthnicGroup", "FrameComments", "ImageComments",
    "InstitutionalDepartmentName", "InterpretationText", "MedicalAlerts", "PatientAge",
    "PatientBirthTime", "PatientComments", "PatientSexNeutered", "PatientSize", "PatientState",
    "PatientWeight", "PerformedProcedureStepDescription", "PregnancyStatus", "ProtocolName",
    "ReasonForStudy", "ReferringPhysicianAddress", "ReferringPhysicianTelephoneNumbers",
    "RequestedProcedureDescription", "SeriesDescription", "SmokingStatus", "StudyComments",
    "StudyDescription", "TextComments", "InstitutionAddress", "PatientAddress",
)
# Added by the de-identification itself: their change is not something removed from the file.
_ADDED = {"PatientIdentityRemoved", "DeidentificationMethod", "DeidentificationMethodCodeSequence",
          "CodeValue", "CodingSchemeDesignator", "CodeMeaning"}
# PS3.16 CID 7050 codes the header states (PS3.15 E.1.1 asks for them): the basic profile, and
# its option that dates were shifted rather than removed (what dicognito does).
METHOD_CODES = (("113100", "Basic Application Confidentiality Profile"),
                ("113107", "Retain Longitudinal Temporal Information Modified Dates Option"))


def _elements(ds, path: tuple = ()) -> dict[tuple, tuple[str, object]]:  # noqa: ANN001
    """Every element of ``ds``, nested ones included: path → (report name, value; None for a sequence)."""
    out: dict[tuple, tuple[str, object]] = {}
    for elem in ds:
        key = (*path, int(elem.tag))
        name = PRIVATE if elem.tag.is_private else (elem.keyword or str(elem.tag))
        if elem.VR == "SQ":
            out[key] = (name, None)
            for i, item in enumerate(elem.value):
                out.update(_elements(item, (*key, i)))
        else:
            out[key] = (name, elem.value)
    return out


def _changed(before: dict, after: dict) -> Counter:
    """Report names of the elements removed or given another value; an element inside a removed
    sequence is not counted again."""
    counts: Counter = Counter()
    for key, (name, value) in before.items():
        if name in _ADDED:
            continue
        if key not in after:
            parent = key[:-2]  # (…, sequence tag, item index, tag)
            if parent and parent not in after:
                continue
            counts[name] += 1
        elif value is not None and after[key][1] != value:
            counts[name] += 1
    return counts


class DicomIdentityFilter:
    """One per import: strips (or, with "keep", only inspects) the DICOM files it is given, and
    collects what it removed and which files have burned-in annotation. One anonymizer serves the
    whole import, so a UID or patient ID is replaced by the same value in every file of it."""

    def __init__(self, mode: DicomIdentity = "strip") -> None:
        if mode not in DICOM_IDENTITY:
            raise MadpgError(f"DICOM identity must be one of {', '.join(DICOM_IDENTITY)}, not {mode!r}")
        self.mode = mode
        self.files = 0  # DICOM files seen
        self.removed: Counter = Counter()  # report name → elements removed or replaced, all files
        self.burned_in: list[str] = []  # files whose header says the pixels carry text
        self.already = 0  # files an earlier MADPG import de-identified, stored as they are
        self._anonymizer = None

    def rewrite(self, source: Path, target: Path) -> bool:
        """Write ``source``'s de-identified copy to ``target`` → True; False for a file that is not a
        DICOM or a "keep" import (the caller copies it as it is)."""
        from madpg_core.vision.images import is_dicom

        if not is_dicom(source):
            return False
        ds = self._read(source, header_only=self.mode == "keep")
        self.files += 1
        if str(ds.get("BurnedInAnnotation", "")).strip().upper() == "YES":
            self.burned_in.append(str(source))
        if self.mode == "keep":
            return False
        if already_stripped(ds):
            # An export of a project being imported again: stripping anew (with a new seed) would
            # change its UIDs and bytes, so the round trip and duplicate detection would break.
            self.already += 1
            return False
        before = _elements(ds.file_meta) | _elements(ds)
        strip(ds, self._get_anonymizer())
        self.removed += _changed(before, _elements(ds.file_meta) | _elements(ds))
        ds.save_as(target)
        return True

    def _get_anonymizer(self):  # noqa: ANN202
        if self._anonymizer is None:
            from dicognito.anonymizer import Anonymizer

            # No seed: a fresh random one per import, so that nobody holding the project can
            # recompute the replacement of a guessed patient ID.
            self._anonymizer = Anonymizer()
        return self._anonymizer

    @staticmethod
    def _read(source: Path, header_only: bool):  # noqa: ANN205
        import pydicom
        from pydicom.errors import InvalidDicomError

        try:
            return pydicom.dcmread(source, force=True, stop_before_pixels=header_only)
        except (InvalidDicomError, OSError, ValueError, EOFError, KeyError, TypeError) as e:
            raise MadpgError(f"{source}: cannot read its DICOM header to de-identify it ({e}); "
                             "the import was refused, nothing was imported") from None

    def summary(self) -> str:
        """One line for the import report ('' when the import held no DICOM)."""
        if not self.files:
            return ""
        if self.mode == "keep":
            return f"DICOM headers of {self.files} file(s) kept as they are (--dicom-identity keep)"
        listed = ", ".join(f"{name} {n}" for name, n in sorted(self.removed.items(), key=lambda kv: (-kv[1], kv[0])))
        again = f"; {self.already} already de-identified by MADPG, stored as they are" if self.already else ""
        return (f"DICOM headers of {self.files - self.already} file(s) de-identified (PS3.15 basic profile)"
                f"{again}; removed or replaced: {listed or 'nothing'}")

    def warnings(self) -> list[str]:
        return [f"{f}: the DICOM header says burned-in annotation (BurnedInAnnotation YES): the pixels may "
                "show the patient's identity, which cannot be removed automatically; check the image"
                for f in self.burned_in]


def already_stripped(ds) -> bool:  # noqa: ANN001
    """Was ``ds`` written by :func:`strip`? Both marks it leaves, and no private element (which it
    removes), so a file that merely says PatientIdentityRemoved is stripped all the same."""
    codes = {str(c.get("CodeValue", "")) for c in ds.get("DeidentificationMethodCodeSequence", [])}
    method = ds.get("DeidentificationMethod", "")
    methods = [method] if isinstance(method, str) else list(method)
    return ("113100" in codes and "DICOGNITO" in methods
            and not any(e.tag.is_private for e in ds.iterall()))


def strip(ds, anonymizer) -> None:  # noqa: ANN001
    """De-identify ``ds`` in place: private elements and ``EXTRA_REMOVED`` removed, dicognito's
    replacements, PatientSex emptied, the method stated. Pixel data is left as it is."""
    ds.remove_private_tags()

    def remove_extra(dataset, elem) -> None:  # noqa: ANN001
        if elem.keyword in EXTRA_REMOVED:
            del dataset[elem.tag]

    ds.walk(remove_extra)
    anonymizer.anonymize(ds)
    if "PatientSex" in ds:  # action Z (empty); dicognito keeps it, and read it to choose a name
        ds.PatientSex = ""
    ds.DeidentificationMethodCodeSequence = [_code(value, meaning) for value, meaning in METHOD_CODES]


def _code(value: str, meaning: str):  # noqa: ANN202
    from pydicom.dataset import Dataset

    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, "DCM", meaning
    return item
