"""Automated data labeling (Ground Truth's active learning) for text and image classification."""
