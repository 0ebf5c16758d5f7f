"""MADPG Annotator desktop (PySide6). Only this package imports Qt."""

__version__ = "0.1.0"
