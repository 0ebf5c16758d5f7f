"""Prediction with a saved model: chunking, batching, confidences."""
