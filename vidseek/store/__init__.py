"""Where evidence is kept for retrieval: vectors in a store (chromadb by default; store/base.py is the
interface), words in a BM25 index."""

from vidseek.store.base import EvidenceFilter, EvidenceStore, StoreKind, open_store, register_store
from vidseek.store.chroma import ChromaStore
from vidseek.store.embeddings import Embedder
from vidseek.store.keyword import KeywordIndex

__all__ = ["ChromaStore", "Embedder", "EvidenceFilter", "EvidenceStore", "KeywordIndex", "StoreKind", "open_store",
           "register_store"]
