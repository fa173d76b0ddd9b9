"""Where evidence is kept for retrieval: vectors in chromadb, words in a BM25 index."""

from vidseek.store.chroma import ChromaStore
from vidseek.store.embeddings import Embedder
from vidseek.store.keyword import KeywordIndex

__all__ = ["ChromaStore", "Embedder", "KeywordIndex"]
