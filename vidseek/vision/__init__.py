"""Models that say what is in a picture: ImageNet tags (tags.py) and COCO objects with counts (coco.py).

Both load weights that install as packages (docs/models.md), verified by the SHA-256 pinned in
vidseek/models.py, and take frames as RGB numpy arrays in batches. The extractors that turn their
output into Evidence sit in vidseek/extractors/.
"""
