"""Images for the model and the viewer: PNG/JPEG/DICOM loading, backbone feature cache."""
