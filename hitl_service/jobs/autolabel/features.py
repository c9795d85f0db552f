"""Features the models learn from: TF-IDF for text, normalised pixels plus HOG for images (CPU, no weights)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from scipy import sparse
from skimage.feature import hog
from sklearn.feature_extraction.text import TfidfVectorizer

IMAGE_SIDE = 32   # every image is brought to 32x32 grey: HOG cells of 8x8 then see strokes, not noise
PIXEL_SIDE = 16


def text_features(texts: list[str]) -> sparse.csr_matrix:
    """TF-IDF over word unigrams/bigrams and character 2-5-grams (words unseen in training still share pieces)."""
    words = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)
    return sparse.hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr()


def image_vector(grey: np.ndarray) -> np.ndarray:
    """One image (2-D array, any size and range) as standardised 16x16 pixels followed by its HOG."""
    img = Image.fromarray(_to_uint8(grey)).resize((IMAGE_SIDE, IMAGE_SIDE), Image.BILINEAR)
    big = np.asarray(img, dtype=np.float64) / 255.0
    small = np.asarray(img.resize((PIXEL_SIDE, PIXEL_SIDE), Image.BILINEAR), dtype=np.float64).ravel()
    small = (small - small.mean()) / (small.std() + 1e-6)   # contrast and brightness do not decide the class
    shape = hog(big, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2), feature_vector=True)
    return np.concatenate([small / np.sqrt(small.size), shape])


def decode_image(data: bytes) -> np.ndarray:
    """The grey pixels of an encoded image (PNG, JPEG, anything Pillow reads)."""
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("L"))


def image_features(images: list[np.ndarray]) -> np.ndarray:
    """The feature matrix of grey images, one row each."""
    return np.vstack([image_vector(g) for g in images])


def _to_uint8(grey: np.ndarray) -> np.ndarray:
    g = np.asarray(grey, dtype=np.float64)
    lo, hi = float(g.min()), float(g.max())
    if hi <= lo:
        return np.zeros(g.shape, dtype=np.uint8)
    return np.round((g - lo) / (hi - lo) * 255).astype(np.uint8)
