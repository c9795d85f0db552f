"""Ground Truth labeling jobs: manifests, task types, Lambda functions, output layout and the job service."""
