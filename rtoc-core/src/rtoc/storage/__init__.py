"""Long-term storage: the protocol (:mod:`.base`), the write-behind writer, and backends."""

from rtoc.storage.base import SampleBatch, SignalInfo, Storage, StorageError
from rtoc.storage.buckets import Buckets, UnknownSignal

__all__ = ["Buckets", "SampleBatch", "SignalInfo", "Storage", "StorageError", "UnknownSignal"]
