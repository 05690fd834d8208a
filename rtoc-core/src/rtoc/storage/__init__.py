"""Long-term storage: the protocol (:mod:`.base`), the write-behind writer, and backends."""

from rtoc.storage.base import SampleBatch, SignalInfo, Storage, StorageError

__all__ = ["SampleBatch", "SignalInfo", "Storage", "StorageError"]
